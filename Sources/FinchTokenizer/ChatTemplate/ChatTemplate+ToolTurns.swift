/// Tool definitions and tool turns for templates that do not know them, shared by training and serving so a
/// model fine-tuned on function calling sees at inference exactly the prompt format it was trained on.
///
/// Templates that know about tools (Qwen2.5, Llama 3.1, Hermes, …) get `tools` as transformers passes them.
/// For a template that never mentions `tools` (SmolLM2's, for one) the tools are described in a system message
/// in the Hermes format; for a template that never mentions `tool_calls`, assistant tool calls (and legacy
/// `function_call`s) become `<tool_call>` blocks in the assistant's content and tool (or legacy function)
/// results `<tool_response>` blocks in user turns. Other keys of a message (`weight`, `name`) are kept.
extension ChatTemplate {
    /// `messages` and `tools` rewritten as this template can render them.
    public func adaptingToolTurns(messages: [TemplateValue], tools: [TemplateValue]?)
        -> (messages: [TemplateValue], tools: [TemplateValue]?)
    {
        let tools = tools.flatMap { $0.isEmpty ? nil : $0 }
        if let list = tools, !source.contains("tools") {
            return (Self.hermesMessages(messages, tools: list), nil)
        }
        if !source.contains("tool_calls") {
            return (messages.map(Self.inlineToolTurn), tools)
        }
        return (messages, tools)
    }

    /// The Hermes function-calling instructions in the system message (added first when there is none).
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
        var out = messages.map(inlineToolTurn)
        if let first = out.first?.objectValue, first["role"]?.stringValue == "system" {
            let content = first["content"]?.stringValue ?? ""
            var system = first
            system["content"] = .string(content.isEmpty ? instructions : content + "\n\n" + instructions)
            out[0] = .object(system)
        } else {
            out.insert(.object(TemplateObject([("role", "system"), ("content", .string(instructions))])), at: 0)
        }
        return out
    }

    /// An assistant's tool calls as `<tool_call>` text; a tool or function result as a `<tool_response>` user turn.
    static func inlineToolTurn(_ value: TemplateValue) -> TemplateValue {
        guard var message = value.objectValue else { return value }
        let role = message["role"]?.stringValue ?? ""
        let content = message["content"]?.stringValue ?? ""
        if role == "tool" || role == "function" {
            message["role"] = "user"
            message["content"] = .string("<tool_response>\n\(content)\n</tool_response>")
            message["tool_call_id"] = .none
            message["name"] = .none
            return .object(message)
        }
        guard role == "assistant" else { return value }
        var calls = message["tool_calls"]?.arrayValue?.map { $0["function"] ?? $0 } ?? []
        if let legacy = message["function_call"], !legacy.isNull { calls.append(legacy) }
        guard !calls.isEmpty else { return value }
        let blocks = calls.map { function -> String in
            let call: TemplateValue = [
                "name": function["name"] ?? .null, "arguments": function["arguments"] ?? .object(TemplateObject()),
            ]
            return "<tool_call>\n\(call.jsonString())\n</tool_call>"
        }
        message["content"] = .string(([content].filter { !$0.isEmpty } + blocks).joined(separator: "\n"))
        message["tool_calls"] = .none
        message["function_call"] = .none
        return .object(message)
    }
}
