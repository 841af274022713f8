/// `CompletionUsage`.
public struct CompletionUsage: Codable, Sendable, Equatable {
    public var promptTokens: Int
    public var completionTokens: Int
    public var totalTokens: Int

    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        totalTokens = promptTokens + completionTokens
    }

    enum CodingKeys: String, CodingKey {
        case promptTokens = "prompt_tokens", completionTokens = "completion_tokens", totalTokens = "total_tokens"
    }
}

/// `ChatCompletionTokenLogprob`.
public struct ChatTokenLogprob: Codable, Sendable, Equatable {
    public struct Top: Codable, Sendable, Equatable {
        public var token: String
        public var logprob: Double
        public var bytes: [UInt8]?
        public init(token: String, logprob: Double, bytes: [UInt8]?) {
            self.token = token
            self.logprob = logprob
            self.bytes = bytes
        }
    }
    public var token: String
    public var logprob: Double
    public var bytes: [UInt8]?
    public var topLogprobs: [Top]

    public init(token: String, logprob: Double, bytes: [UInt8]?, topLogprobs: [Top]) {
        self.token = token
        self.logprob = logprob
        self.bytes = bytes
        self.topLogprobs = topLogprobs
    }

    enum CodingKeys: String, CodingKey { case token, logprob, bytes, topLogprobs = "top_logprobs" }
}

/// A choice's `logprobs`: `{content, refusal}` (both keys always present).
public struct ChatChoiceLogprobs: Codable, Sendable, Equatable {
    @ExplicitNull public var content: [ChatTokenLogprob]?
    @ExplicitNull public var refusal: [ChatTokenLogprob]?

    public init(content: [ChatTokenLogprob]?) {
        self.content = content
        refusal = nil
    }
}

/// `ChatCompletionMessageToolCall` (and, with `index`, the streamed chunk form).
public struct ChatToolCall: Codable, Sendable, Equatable {
    public struct Function: Codable, Sendable, Equatable {
        public var name: String
        public var arguments: String
    }
    public var index: Int?
    public var id: String
    public var type: String
    public var function: Function

    public init(index: Int? = nil, id: String, name: String, arguments: String) {
        self.index = index
        self.id = id
        type = "function"
        function = Function(name: name, arguments: arguments)
    }
}

/// `ChatCompletionResponseMessage`: `content` and `refusal` are always present (null when empty).
public struct ChatResponseMessage: Codable, Sendable, Equatable {
    public var role = "assistant"
    @ExplicitNull public var content: String?
    @ExplicitNull public var refusal: String?
    public var toolCalls: [ChatToolCall]?

    public init(content: String?, toolCalls: [ChatToolCall]? = nil) {
        self.content = content
        self.toolCalls = toolCalls
    }

    enum CodingKeys: String, CodingKey { case role, content, refusal, toolCalls = "tool_calls" }
}

/// `object: "chat.completion"`.
public struct ChatCompletion: Codable, Sendable {
    public struct Choice: Codable, Sendable {
        public var index: Int
        public var message: ChatResponseMessage
        @ExplicitNull public var logprobs: ChatChoiceLogprobs?
        public var finishReason: String

        public init(index: Int, message: ChatResponseMessage, logprobs: ChatChoiceLogprobs?, finishReason: String) {
            self.index = index
            self.message = message
            self.logprobs = logprobs
            self.finishReason = finishReason
        }

        enum CodingKeys: String, CodingKey { case index, message, logprobs, finishReason = "finish_reason" }
    }
    public var id: String
    public var object = "chat.completion"
    public var created: Int64
    public var model: String
    public var systemFingerprint: String
    public var choices: [Choice]
    public var usage: CompletionUsage

    public init(id: String, created: Int64, model: String, systemFingerprint: String, choices: [Choice], usage: CompletionUsage) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint"
    }
}

/// `object: "chat.completion.chunk"`. `usage` is encoded only when the stream asked for it
/// (`stream_options.include_usage`): null on every chunk but the last, which has `choices: []`.
public struct ChatCompletionChunk: Encodable, Sendable {
    public struct Delta: Encodable, Sendable, Equatable {
        public var role: String?
        public var content: String?
        public var toolCalls: [ChatToolCall]?
        public init(role: String? = nil, content: String? = nil, toolCalls: [ChatToolCall]? = nil) {
            self.role = role
            self.content = content
            self.toolCalls = toolCalls
        }
        enum CodingKeys: String, CodingKey { case role, content, toolCalls = "tool_calls" }
    }
    public struct Choice: Encodable, Sendable {
        public var index: Int
        public var delta: Delta
        @ExplicitNull public var logprobs: ChatChoiceLogprobs?
        @ExplicitNull public var finishReason: String?

        public init(index: Int, delta: Delta, logprobs: ChatChoiceLogprobs? = nil, finishReason: String? = nil) {
            self.index = index
            self.delta = delta
            self.logprobs = logprobs
            self.finishReason = finishReason
        }

        enum CodingKeys: String, CodingKey { case index, delta, logprobs, finishReason = "finish_reason" }
    }
    public var id: String
    public var created: Int64
    public var model: String
    public var systemFingerprint: String
    public var choices: [Choice]
    /// nil: no `usage` key. `.some(nil)`: `"usage": null`.
    public var usage: CompletionUsage??

    public init(id: String, created: Int64, model: String, systemFingerprint: String, choices: [Choice],
                usage: CompletionUsage?? = nil) {
        self.id = id
        self.created = created
        self.model = model
        self.systemFingerprint = systemFingerprint
        self.choices = choices
        self.usage = usage
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode("chat.completion.chunk", forKey: .object)
        try c.encode(created, forKey: .created)
        try c.encode(model, forKey: .model)
        try c.encode(systemFingerprint, forKey: .systemFingerprint)
        try c.encode(choices, forKey: .choices)
        if let usage { try c.encode(usage, forKey: .usage) }
    }
    enum CodingKeys: String, CodingKey {
        case id, object, created, model, choices, usage, systemFingerprint = "system_fingerprint"
    }
}
