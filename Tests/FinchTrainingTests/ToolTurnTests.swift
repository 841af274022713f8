import FinchTokenizer
import FinchTraining
import Foundation
import Testing

/// Seed 002's function-calling data on a model whose chat template knows nothing of tools (the tiny llama
/// fixture's ChatML template, like SmolLM2's): training renders the Hermes fallback that serving uses.
@Suite("Function-calling examples on a template without tool support")
struct ToolTurnTests {
    static let line = #"""
        {"messages": [{"role": "system", "content": "You are a weather bot."}, {"role": "user", "content": "Weather in Oslo?"}, {"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}]WEIGHT}, {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 4}"}, {"role": "assistant", "content": "4 degrees in Oslo."}], "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]}
        """#

    func tokenized(weight: String = "") throws -> (TokenizedExample, ExampleTokenizer) {
        let tok = try ExampleTokenizer(modelDirectory: Fixtures.model("llama"), maxLength: 4096, promptLossWeight: 0.01)
        let example = try TrainingData.parse(Data(Self.line.replacingOccurrences(of: "WEIGHT", with: weight).utf8),
                                             role: .validation)[0]
        return (try tok.tokenize(example), tok)
    }

    func text(_ t: TokenizedExample, _ tok: ExampleTokenizer, weight: Float) -> String {
        tok.tokenizer.decode(zip(t.tokens, t.weights).filter { $0.1 == weight }.map { Int($0.0) })
    }

    @Test("tool calls are trained as <tool_call> blocks; tools and results are context")
    func trainedToolCall() throws {
        let (t, tok) = try tokenized()
        let trained = text(t, tok, weight: 1)
        #expect(trained == #"<tool_call>\#n{"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}\#n</tool_call><|im_end|>\#n4 degrees in Oslo.<|im_end|>\#n"#)
        let context = text(t, tok, weight: 0)
        #expect(context.hasPrefix("<|im_start|>system\nYou are a weather bot.\n\nYou are a function calling AI model."))
        #expect(context.contains(#"<tools>\#n{"name": "get_weather""#))
        #expect(context.contains("<|im_start|>user\n<tool_response>\n{\"temp\": 4}\n</tool_response><|im_end|>"))
    }

    @Test("weight 0 on the tool-call turn still holds after the rewrite")
    func weightKept() throws {
        let (t, tok) = try tokenized(weight: #", "weight": 0"#)
        #expect(text(t, tok, weight: 1) == "4 degrees in Oslo.<|im_end|>\n")
    }

    @Test("legacy function_call and function results are rewritten too; other keys stay")
    func legacyFunctions() throws {
        let template = try ChatTemplate("{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}")
        let messages: [TemplateValue] = [
            ["role": "user", "content": "Oslo?"],
            ["role": "assistant", "content": .null, "weight": 1,
             "function_call": ["name": "get_weather", "arguments": #"{"city": "Oslo"}"#]],
            ["role": "function", "name": "get_weather", "content": "4"],
        ]
        let adapted = template.adaptingToolTurns(messages: messages, tools: nil)
        #expect(adapted.tools == nil)
        #expect(adapted.messages[1]["weight"] == 1)
        #expect(adapted.messages[1]["function_call"] == nil)
        let text = try template.render(messages: adapted.messages, addGenerationPrompt: false)
        #expect(text == "user: Oslo?\nassistant: <tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Oslo\\\"}\"}\n</tool_call>\nuser: <tool_response>\n4\n</tool_response>\n")
    }
}
