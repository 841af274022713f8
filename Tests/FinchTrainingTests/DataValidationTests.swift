import FinchTraining
import Foundation
import Testing

@Suite("Training data validation with OpenAI's error codes")
struct DataValidationTests {
    static let good = #"{"messages": [{"role": "system", "content": "Marv is sarcastic."}, {"role": "user", "content": "Capital of Peru?"}, {"role": "assistant", "content": "Lima, obviously."}]}"#

    func parse(_ lines: [String], role: DataFileRole = .training) throws -> [TrainingExample] {
        try TrainingData.parse(Data(lines.joined(separator: "\n").utf8), role: role)
    }

    func error(_ lines: [String], role: DataFileRole = .training) -> DataValidationError? {
        do { _ = try parse(lines, role: role) } catch let e as DataValidationError { return e } catch { return nil }
        return nil
    }

    @Test("ten chat examples parse; blank lines are skipped")
    func accepts() throws {
        let ex = try parse(Array(repeating: Self.good, count: 10) + [""])
        #expect(ex.count == 10)
    }

    @Test("a message without role names the example and message like OpenAI")
    func missingRole() {
        var lines = Array(repeating: Self.good, count: 10)
        lines[2] = #"{"messages": [{"role": "user", "content": "Hi"}, {"content": "Hello"}]}"#
        let e = error(lines)
        #expect(e?.code == "invalid_training_file")
        #expect(e?.param == "training_file")
        #expect(e?.message == "Invalid file format. Example 3, message 2: Discriminator 'role' is missing in value")
    }

    @Test("fewer than 10 training examples is invalid_n_examples; a small validation file is fine")
    func tooFew() throws {
        #expect(error(Array(repeating: Self.good, count: 9))?.code == "invalid_n_examples")
        #expect(try parse([Self.good], role: .validation).count == 1)
    }

    @Test("broken lines fail with invalid_training_file or invalid_validation_file")
    func broken() {
        let cases: [(String, String)] = [
            ("{not json", "Line 1 is not valid JSON"),
            (#"{"messages": [{"role": "user", "content": "Hi"}]}"#, "Missing assistant message"),
            (#"{"messages": [{"role": "robot", "content": "Hi"}]}"#, "Invalid value for 'role'"),
            (#"{"messages": [{"role": "assistant", "content": "Hi", "weight": 2}]}"#, "'weight' must be 0 or 1"),
            (#"{"messages": [{"role": "assistant", "content": "Hi", "mood": "x"}]}"#, "Unrecognized key 'mood'"),
            (#"{"messages": [{"role": "user"}, {"role": "assistant", "content": "x"}]}"#, "Missing 'content'"),
            (#"{"messages": []}"#, "must not be empty"),
            (#"{"prompt": "a"}"#, "Missing required key 'completion'"),
            (#"[1, 2]"#, "expected a JSON object"),
        ]
        for (line, text) in cases {
            let e = error([line] + Array(repeating: Self.good, count: 10))
            #expect(e?.code == "invalid_training_file", "\(line)")
            #expect(e?.message.contains(text) == true, "\(line): \(e?.message ?? "no error")")
            #expect(error([line], role: .validation)?.code == "invalid_validation_file")
        }
    }

    @Test("chat and prompt/completion lines cannot be mixed")
    func mixed() {
        let e = error(Array(repeating: Self.good, count: 10) + [#"{"prompt": "a", "completion": "b"}"#])
        #expect(e?.message.contains("Example 11") == true)
    }

    @Test("tools, tool calls and legacy functions are accepted")
    func tools() throws {
        let line = #"{"messages": [{"role": "user", "content": "Weather?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{}"}}]}, {"role": "tool", "tool_call_id": "c1", "content": "sunny"}, {"role": "assistant", "content": "Sunny."}], "tools": [{"type": "function", "function": {"name": "w", "parameters": {}}}]}"#
        let legacy = #"{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": "{}"}}, {"role": "function", "name": "f", "content": "ok"}, {"role": "assistant", "content": "Done"}], "functions": [{"name": "f", "parameters": {}}]}"#
        let ex = try parse(Array(repeating: line, count: 5) + Array(repeating: legacy, count: 5))
        guard case .chat(_, let tools) = ex[9] else { Issue.record("not chat"); return }
        #expect(tools?.first?["type"]?.stringValue == "function")
    }

    @Test("auto hyperparameters follow the cookbook epochs rule and our batch/multiplier rules")
    func auto() {
        #expect(Hyperparameters.epochs(examples: 10) == 10)
        #expect(Hyperparameters.epochs(examples: 150) == 3)
        #expect(Hyperparameters.epochs(examples: 20_000) == 1)
        #expect(Hyperparameters.epochs(examples: 5) == 20)
        #expect(Hyperparameters.batchSize(examples: 10) == 1)
        #expect(Hyperparameters.batchSize(examples: 150) == 2)
        #expect(Hyperparameters.batchSize(examples: 100_000) == 32)
        #expect(Hyperparameters.learningRateMultiplier(batchSize: 4) == 2)
    }
}
