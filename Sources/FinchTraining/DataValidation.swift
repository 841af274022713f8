import FinchTokenizer
import Foundation

/// One training example as parsed from an OpenAI JSONL line.
public enum TrainingExample: Sendable, Equatable {
    /// Chat format: the messages (JSON objects, key order kept, passed to the chat template as they are),
    /// the `tools` (or legacy `functions`, converted to tools) and `parallel_tool_calls`.
    case chat(messages: [TemplateValue], tools: [TemplateValue]?)
    /// Prompt/completion format (babbage-002/davinci-002, the legacy API).
    case completion(prompt: String, completion: String)
}

/// A data file problem, with the code OpenAI reports in `job.error` (`invalid_training_file`,
/// `invalid_validation_file`, `invalid_n_examples`), the parameter it concerns and a message naming the line.
public struct DataValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let param: String
    public let message: String
    public var description: String { "\(code) (\(param)): \(message)" }
}

/// Which file is being read: decides the error code and parameter name.
public enum DataFileRole: Sendable {
    case training, validation

    var code: String { self == .training ? "invalid_training_file" : "invalid_validation_file" }
    var param: String { self == .training ? "training_file" : "validation_file" }
}

/// Reads and checks OpenAI fine-tuning JSONL (chat or prompt/completion), as the job's file validation does.
public enum TrainingData {
    /// Minimum number of training examples (OpenAI's rule; fewer fails with `invalid_n_examples`).
    public static let minimumExamples = 10

    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]
    static let messageKeys: Set<String> = ["role", "content", "name", "function_call", "weight", "tool_calls",
                                           "tool_call_id", "refusal"]

    /// Reads `url` and returns its examples, or throws `DataValidationError`.
    public static func load(contentsOf url: URL, role: DataFileRole) throws -> [TrainingExample] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw DataValidationError(code: role.code, param: role.param, message: "The file \(url.lastPathComponent) could not be read.")
        }
        return try parse(data, role: role)
    }

    /// Parses JSONL bytes. Blank lines are skipped; every other line must be one example of the same format.
    public static func parse(_ data: Data, role: DataFileRole) throws -> [TrainingExample] {
        func fail(_ m: String) -> DataValidationError {
            DataValidationError(code: role.code, param: role.param, message: "Invalid file format. " + m)
        }
        var examples: [TrainingExample] = []
        var isChat: Bool?
        var lineNumber = 0
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            let value: TemplateValue
            do { value = try TemplateValue(parsingJSON: line) } catch {
                throw fail("Line \(lineNumber) is not valid JSON: \(error)")
            }
            guard let obj = value.objectValue else { throw fail("Example \(lineNumber): expected a JSON object.") }
            let chat = obj["messages"] != nil
            if !chat && obj["prompt"] == nil {
                throw fail("Example \(lineNumber): Missing required key 'messages' (or 'prompt' and 'completion').")
            }
            if let isChat, isChat != chat {
                throw fail("Example \(lineNumber): mixes the chat format ('messages') and the prompt/completion format.")
            }
            isChat = chat
            examples.append(chat ? try parseChat(obj, line: lineNumber, fail: fail) : try parseCompletion(obj, line: lineNumber, fail: fail))
        }
        if examples.isEmpty { throw fail("The file has no examples.") }
        if role == .training && examples.count < minimumExamples {
            throw DataValidationError(
                code: "invalid_n_examples", param: role.param,
                message: "Training file has \(examples.count) example(s), but must have at least \(minimumExamples) examples")
        }
        return examples
    }

    static func parseCompletion(_ obj: TemplateObject, line: Int, fail: (String) -> DataValidationError) throws -> TrainingExample {
        guard let prompt = obj["prompt"]?.stringValue else { throw fail("Example \(line): 'prompt' must be a string.") }
        guard let completion = obj["completion"]?.stringValue else {
            throw fail("Example \(line): Missing required key 'completion' (a string).")
        }
        if completion.isEmpty { throw fail("Example \(line): 'completion' is empty.") }
        return .completion(prompt: prompt, completion: completion)
    }

    static func parseChat(_ obj: TemplateObject, line: Int, fail: (String) -> DataValidationError) throws -> TrainingExample {
        guard let messages = obj["messages"]?.arrayValue else { throw fail("Example \(line): 'messages' must be a list.") }
        if messages.isEmpty { throw fail("Example \(line): 'messages' must not be empty.") }
        var sawAssistant = false
        var out: [TemplateValue] = []
        for (i, m) in messages.enumerated() {
            let at = "Example \(line), message \(i + 1)"
            guard var msg = m.objectValue else { throw fail("\(at): expected a JSON object.") }
            guard let roleValue = msg["role"] else { throw fail("\(at): Discriminator 'role' is missing in value") }
            guard let role = roleValue.stringValue, roles.contains(role) else {
                throw fail("\(at): Invalid value for 'role': \(roleValue). Expected one of: \(roles.sorted().joined(separator: ", ")).")
            }
            for key in msg.keys where !messageKeys.contains(key) {
                throw fail("\(at): Unrecognized key '\(key)'.")
            }
            let hasCalls = msg["tool_calls"].map { !$0.isNull } ?? false || msg["function_call"].map { !$0.isNull } ?? false
            switch msg["content"] {
            case .string?: break
            case .array(let parts)?:
                // text parts only: join them (images are not supported by our text models)
                var text = ""
                for p in parts {
                    guard p["type"]?.stringValue == "text", let t = p["text"]?.stringValue else {
                        throw fail("\(at): only text content parts are supported.")
                    }
                    text += t
                }
                msg["content"] = .string(text)
            case nil, .null?:
                guard role == "assistant" && hasCalls else { throw fail("\(at): Missing 'content'.") }
            default:
                throw fail("\(at): 'content' must be a string or a list of text parts.")
            }
            if let w = msg["weight"] {
                guard role == "assistant" else { throw fail("\(at): 'weight' is only allowed on assistant messages.") }
                guard let wi = w.intValue, wi == 0 || wi == 1 else { throw fail("\(at): 'weight' must be 0 or 1.") }
            }
            if role == "assistant" { sawAssistant = true }
            if role == "function" {
                guard msg["name"]?.stringValue != nil else { throw fail("\(at): a function message needs 'name'.") }
            }
            out.append(.object(msg))
        }
        if !sawAssistant { throw fail("Example \(line): Missing assistant message (at least one is required).") }
        var tools: [TemplateValue]?
        if let t = obj["tools"], !t.isNull {
            guard let list = t.arrayValue else { throw fail("Example \(line): 'tools' must be a list.") }
            tools = list
        } else if let f = obj["functions"], !f.isNull {
            guard let list = f.arrayValue, !list.isEmpty, list.count <= 128 else {
                throw fail("Example \(line): 'functions' must be a list of 1 to 128 functions.")
            }
            tools = list.map { .object(TemplateObject([("type", "function"), ("function", $0)])) }
        }
        return .chat(messages: out, tools: tools)
    }
}
