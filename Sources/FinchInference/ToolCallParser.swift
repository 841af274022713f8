import FinchTokenizer

/// One function call a model emitted.
public struct ParsedToolCall: Sendable, Equatable {
    public let name: String
    /// The arguments as a JSON object text (what OpenAI's `function.arguments` holds).
    public let arguments: String

    public init(name: String, arguments: String) {
        self.name = name
        self.arguments = arguments
    }
}

/// Finds tool calls in generated text: Hermes/Qwen `<tool_call>{"name": …, "arguments": {…}}</tool_call>`
/// blocks (the closing tag may be cut off by the end of generation), or — Llama 3.x style — a reply that
/// is only a JSON object (or array of objects) with `name` and `arguments`/`parameters`.
/// Text that does not parse stays content.
public enum ToolCallParser {
    public static let open = "<tool_call>"
    public static let close = "</tool_call>"

    /// The content left around the calls (nil when only whitespace remains) and the calls in order.
    public static func parse(_ text: String) -> (content: String?, calls: [ParsedToolCall]) {
        var found: [ParsedToolCall] = []
        var content = ""
        var rest = Substring(text)
        while let start = rest.range(of: open) {
            let afterOpen = rest[start.upperBound...]
            let end = afterOpen.range(of: close)
            let body = end.map { afterOpen[..<$0.lowerBound] } ?? afterOpen
            if let parsed = calls(in: String(body)) {
                content += rest[..<start.lowerBound]
                found += parsed
            } else {
                content += rest[..<(end?.upperBound ?? rest.endIndex)]
            }
            rest = end.map { afterOpen[$0.upperBound...] } ?? afterOpen[afterOpen.endIndex...]
        }
        content += rest
        if found.isEmpty {
            if let bare = bareJSONCalls(text) { return (nil, bare) }
            return (text, [])
        }
        let trimmed = content.trimmingWhitespace()
        return (trimmed.isEmpty ? nil : trimmed, found)
    }

    /// Whether streamed content that reads `text` so far might become a tool call (so it is held back).
    public static func mayBeginCall(_ text: String) -> Bool {
        let trimmed = text.trimmingWhitespace()
        if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") { return true }
        if text.contains(open) { return true }
        for n in stride(from: min(open.count - 1, text.count), to: 0, by: -1) where text.hasSuffix(open.prefix(n)) {
            return true
        }
        return false
    }

    static func bareJSONCalls(_ text: String) -> [ParsedToolCall]? {
        let trimmed = text.trimmingWhitespace()
        guard trimmed.hasPrefix("{") || trimmed.hasPrefix("[") else { return nil }
        return calls(in: trimmed)
    }

    /// A call object, or an array of them; nil unless everything parses.
    static func calls(in body: String) -> [ParsedToolCall]? {
        guard let value = try? TemplateValue(parsingJSON: body.trimmingWhitespace()) else { return nil }
        let items = value.arrayValue ?? [value]
        var out: [ParsedToolCall] = []
        for item in items {
            let function = item["function"]?.objectValue.map(TemplateValue.object) ?? item
            guard let name = function["name"]?.stringValue, !name.isEmpty else { return nil }
            let arguments = function["arguments"] ?? function["parameters"] ?? .object(TemplateObject())
            if let text = arguments.stringValue {
                out.append(ParsedToolCall(name: name, arguments: text))
            } else {
                out.append(ParsedToolCall(name: name, arguments: arguments.jsonString()))
            }
        }
        return out.isEmpty ? nil : out
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
