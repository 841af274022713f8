import Foundation

/// A Hugging Face chat template (the Jinja `chat_template` of tokenizer_config.json or
/// `tokenizer.chat_template` of a GGUF), parsed once and rendered per conversation.
///
/// Renders like transformers' `apply_chat_template(..., tokenize=False)`: Jinja with `trim_blocks`,
/// `lstrip_blocks`, loop controls, HF's `tojson`, `raise_exception` and `strftime_now`.
/// Constructs outside the supported subset throw `ChatTemplateError.unsupported` naming them.
///
/// ```swift
/// let template = try ChatTemplate(source)
/// let prompt = try template.render(
///     messages: [["role": "user", "content": "Hi"]], addGenerationPrompt: true,
///     bosToken: "<s>", eosToken: "</s>")
/// ```
public struct ChatTemplate: Sendable {
    /// The template source.
    public let source: String
    private let nodes: [JinjaNode]

    /// Parses `source`; throws `ChatTemplateError.syntax`/`.unsupported` for templates we cannot run.
    public init(_ source: String) throws {
        self.source = source
        var lexer = JinjaLexer(source: source)
        var parser = JinjaParser(pieces: try lexer.tokenize())
        self.nodes = try parser.parseTemplate()
    }

    /// Renders with an arbitrary context (every template variable by name).
    /// - Parameter now: the time `strftime_now` reports (UTC).
    public func render(context: [String: TemplateValue], now: Date = Date()) throws -> String {
        let interpreter = JinjaInterpreter(context: context.mapValues(JinjaValue.init), now: now)
        return try interpreter.render(nodes)
    }

    /// Renders a conversation the way transformers does: `messages`, `tools` (none when nil),
    /// `add_generation_prompt`, `bos_token`, `eos_token`, plus `extra` variables
    /// (e.g. `date_string`, `tools_in_user_message`, `builtin_tools`).
    public func render(
        messages: [TemplateValue], tools: [TemplateValue]? = nil, addGenerationPrompt: Bool,
        bosToken: String? = nil, eosToken: String? = nil, extra: [String: TemplateValue] = [:], now: Date = Date()
    ) throws -> String {
        var context = extra
        context["messages"] = .array(messages)
        // transformers passes tools=None and documents=None when there are none.
        context["tools"] = tools.map { .array($0) } ?? .null
        context["documents"] = context["documents"] ?? .null
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        if let bosToken { context["bos_token"] = .string(bosToken) }
        if let eosToken { context["eos_token"] = .string(eosToken) }
        return try render(context: context, now: now)
    }
}
