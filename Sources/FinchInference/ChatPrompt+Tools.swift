import FinchModels
import FinchTokenizer

extension ChatPrompt {
    /// Renders full OpenAI-style messages (already as template values: `role`, `content`, and
    /// `tool_calls` / `tool_call_id` / `name` where present) and tool definitions.
    ///
    /// Templates that know about tools (Qwen2.5, Llama 3.1, Hermes, …) get `tools` as transformers passes
    /// them. For a template that never mentions `tools` the tools are described in a system message in the
    /// Hermes format, assistant tool calls become `<tool_call>` blocks and tool results `<tool_response>`
    /// blocks in user turns, so any chat model can be fine-tuned to call functions.
    public static func render(model: LoadedModel, messages: [TemplateValue], tools: [TemplateValue]?,
                              addGenerationPrompt: Bool = true) throws -> String {
        guard let source = model.chatTemplate else {
            throw InferenceError.invalidParameter("model \(model.directory.lastPathComponent) has no chat template")
        }
        let template = try ChatTemplate(source)
        var messages = messages
        var tools = tools.flatMap { $0.isEmpty ? nil : $0 }
        if let list = tools, !source.contains("tools") {
            messages = hermesMessages(messages, tools: list)
            tools = nil
        } else if !source.contains("tool_calls") {
            messages = messages.map(inlineToolTurns)
        }
        return try template.render(messages: messages, tools: tools, addGenerationPrompt: addGenerationPrompt,
                                   bosToken: model.bosToken, eosToken: model.eosToken)
    }

    /// The Hermes function-calling prompt, for templates without tool support.
    static func hermesMessages(_ messages: [TemplateValue], tools: [TemplateValue]) -> [TemplateValue] {
        let signatures = tools.map { ($0["function"] ?? $0).jsonString() }.joined(separator: "\n")
        let instructions = """
            You are a function calling AI model. You are provided with function signatures within <tools></tools> \
            XML tags. You may call one or more functions to assist with the user query. Don't make assumptions \
            about what values to plug into functions.
            <tools>
            \(signatures)
            </tools>
            For each function call, return a json object with function name and arguments within \
            <tool_call></tool_call> XML tags:
            <tool_call>
            {"name": <function-name>, "arguments": <args-json-object>}
            </tool_call>
            """
        var out = messages.map(inlineToolTurns)
        if let first = out.first, first["role"]?.stringValue == "system" {
            let content = first["content"]?.stringValue ?? ""
            out[0] = message(role: "system", content: content.isEmpty ? instructions : content + "\n\n" + instructions)
        } else {
            out.insert(message(role: "system", content: instructions), at: 0)
        }
        return out
    }

    /// Assistant tool calls as `<tool_call>` text and tool results as `<tool_response>` user turns.
    static func inlineToolTurns(_ m: TemplateValue) -> TemplateValue {
        let role = m["role"]?.stringValue ?? ""
        let content = m["content"]?.stringValue ?? ""
        if role == "tool" {
            return message(role: "user", content: "<tool_response>\n\(content)\n</tool_response>")
        }
        if role == "assistant", let calls = m["tool_calls"]?.arrayValue, !calls.isEmpty {
            let blocks = calls.map { call -> String in
                let function = call["function"] ?? call
                let object: TemplateValue = [
                    "name": function["name"] ?? .null, "arguments": function["arguments"] ?? .object(TemplateObject()),
                ]
                return "<tool_call>\n\(object.jsonString())\n</tool_call>"
            }
            return message(role: "assistant", content: ([content].filter { !$0.isEmpty } + blocks).joined(separator: "\n"))
        }
        return m
    }

    static func message(role: String, content: String) -> TemplateValue {
        .object(TemplateObject([("role", .string(role)), ("content", .string(content))]))
    }
}
