import FinchAPI
import FinchTokenizer

/// The conversation of a chat request as chat-template values: roles, text content, assistant
/// `tool_calls`, tool results, and the `tools` to offer.
struct ChatMessages {
    var messages: [TemplateValue] = []
    /// nil when no tools are offered (none given, or `tool_choice: "none"`).
    var tools: [TemplateValue]?

    static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]

    /// `raw` is the whole request body parsed with key order kept (tool schemas render in the order sent).
    init(request: ChatCompletionRequest, raw: TemplateValue) throws(APIError) {
        guard !request.messages.isEmpty else {
            throw .invalidRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
                                  param: "messages", code: "empty_array")
        }
        let rawMessages = raw["messages"]?.arrayValue ?? []
        for (i, message) in request.messages.enumerated() {
            guard Self.roles.contains(message.role) else {
                throw .invalidRequest("Invalid value: '\(message.role)'. Supported values are: 'system', 'developer', 'user', 'assistant', 'tool' and 'function'.",
                                      param: "messages[\(i)].role", code: "invalid_value")
            }
            let text = try Self.text(of: message.content, index: i)
            var role = message.role
            if role == "developer" { role = "system" }
            if role == "function" { role = "tool" }
            var object = TemplateObject([("role", .string(role)), ("content", .string(text))])
            if let name = message.name { object["name"] = .string(name) }
            if let id = message.toolCallID { object["tool_call_id"] = .string(id) }
            if role == "tool", message.toolCallID == nil, message.role == "tool" {
                throw .invalidRequest("Missing parameter 'tool_call_id': messages with role 'tool' must have a 'tool_call_id'.",
                                      param: "messages[\(i)].tool_call_id", code: "missing_required_parameter")
            }
            if role == "assistant", i < rawMessages.count, let calls = rawMessages[i]["tool_calls"]?.arrayValue, !calls.isEmpty {
                object["tool_calls"] = .array(try calls.enumerated().map { j, call throws(APIError) in
                    try Self.toolCall(call, param: "messages[\(i)].tool_calls[\(j)]")
                })
            }
            messages.append(.object(object))
        }
        let choice = raw["tool_choice"]
        if let choice, let text = choice.stringValue, !["none", "auto", "required"].contains(text) {
            throw .invalidRequest("Invalid value: '\(text)'. Supported values are: 'none', 'auto' and 'required'.",
                                  param: "tool_choice", code: "invalid_value")
        }
        if let list = raw["tools"], !list.isNull {
            guard let items = list.arrayValue else {
                throw .invalidRequest("Invalid type for 'tools': expected an array of tools.", param: "tools", code: "invalid_type")
            }
            for (i, tool) in items.enumerated() {
                guard tool["type"]?.stringValue ?? "function" == "function",
                      let name = tool["function"]?["name"]?.stringValue, !name.isEmpty else {
                    throw .invalidRequest("Invalid 'tools[\(i)]': expected {\"type\": \"function\", \"function\": {\"name\": …}}.",
                                          param: "tools[\(i)]", code: "invalid_value")
                }
            }
            if !items.isEmpty && choice?.stringValue != "none" { tools = items }
        } else if choice != nil && !(choice?.isNull ?? true) && choice?.stringValue != "none" && choice?.stringValue != "auto" {
            throw .invalidRequest("Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                                  param: "tool_choice", code: nil)
        }
    }

    /// Text content: a string, or the text parts joined by newlines; null is empty.
    static func text(of content: MessageContent?, index: Int) throws(APIError) -> String {
        switch content {
        case nil: return ""
        case .text(let text): return text
        case .parts(let parts):
            var texts: [String] = []
            for (j, part) in parts.enumerated() {
                switch part.type {
                case "text": texts.append(part.text ?? "")
                case "refusal": texts.append(part.refusal ?? "")
                default:
                    throw .invalidRequest("Invalid content type '\(part.type)' in messages[\(index)].content[\(j)]: this model accepts text only.",
                                          param: "messages[\(index)].content[\(j)].type", code: "invalid_value")
                }
            }
            return texts.joined(separator: "\n")
        }
    }

    /// An assistant tool call for the template; `arguments` becomes an object when it is JSON (as
    /// transformers expects), else stays a string.
    static func toolCall(_ call: TemplateValue, param: String) throws(APIError) -> TemplateValue {
        guard let function = call["function"], let name = function["name"]?.stringValue else {
            throw .invalidRequest("Invalid '\(param)': expected {\"type\": \"function\", \"function\": {\"name\", \"arguments\"}}.",
                                  param: param, code: "invalid_value")
        }
        var arguments = function["arguments"] ?? .string("{}")
        if let text = arguments.stringValue, let parsed = try? TemplateValue(parsingJSON: text), parsed.objectValue != nil {
            arguments = parsed
        }
        var object = TemplateObject()
        if let id = call["id"] { object["id"] = id }
        object["type"] = .string("function")
        object["function"] = .object(TemplateObject([("name", .string(name)), ("arguments", arguments)]))
        return .object(object)
    }
}
