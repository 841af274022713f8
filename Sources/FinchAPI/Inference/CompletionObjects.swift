/// `POST /v1/completions` (spec `CreateCompletionRequest`): the fields Finch acts on.
public struct CompletionRequest: Decodable, Sendable {
    /// Required on `/v1`; Azure's deployments path names the model instead.
    public var model: String?
    public var prompt: CompletionPrompt
    public var suffix: String?
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var n: Int?
    public var bestOf: Int?
    public var seed: Int64?
    public var stop: StopSequences?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var logprobs: Int?
    public var echo: Bool?
    public var user: String?
    public var stream: Bool?
    public var streamOptions: StreamOptions?

    enum CodingKeys: String, CodingKey {
        case model, prompt, suffix, temperature, n, seed, stop, logprobs, echo, user, stream
        case maxTokens = "max_tokens", topP = "top_p", bestOf = "best_of"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case streamOptions = "stream_options"
    }
}

/// `prompt`: a string, an array of strings, an array of token ids, or an array of token-id arrays.
public enum CompletionPrompt: Decodable, Sendable, Equatable {
    case texts([String])
    case tokens([[Int]])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let one = try? container.decode(String.self) {
            self = .texts([one])
        } else if let many = try? container.decode([String].self) {
            self = .texts(many)
        } else if let ids = try? container.decode([Int].self) {
            self = .tokens([ids])
        } else if let batches = try? container.decode([[Int]].self) {
            self = .tokens(batches)
        } else {
            throw DecodingError.typeMismatch(String.self, .init(
                codingPath: decoder.codingPath,
                debugDescription: "expected a string, an array of strings, or an array of token ids"))
        }
    }
}

/// The legacy `logprobs` object of a completion choice.
public struct CompletionLogprobs: Codable, Sendable, Equatable {
    public var tokens: [String]
    public var tokenLogprobs: [Double]
    public var topLogprobs: [[String: Double]]
    public var textOffset: [Int]

    public init(tokens: [String] = [], tokenLogprobs: [Double] = [], topLogprobs: [[String: Double]] = [], textOffset: [Int] = []) {
        self.tokens = tokens
        self.tokenLogprobs = tokenLogprobs
        self.topLogprobs = topLogprobs
        self.textOffset = textOffset
    }

    enum CodingKeys: String, CodingKey {
        case tokens, tokenLogprobs = "token_logprobs", topLogprobs = "top_logprobs", textOffset = "text_offset"
    }
}

/// `object: "text_completion"`, streamed chunks included (with `finish_reason: null` until the last).
public struct TextCompletion: Codable, Sendable {
    public struct Choice: Codable, Sendable {
        public var text: String
        public var index: Int
        @ExplicitNull public var logprobs: CompletionLogprobs?
        @ExplicitNull public var finishReason: String?

        public init(text: String, index: Int, logprobs: CompletionLogprobs?, finishReason: String?) {
            self.text = text
            self.index = index
            self.logprobs = logprobs
            self.finishReason = finishReason
        }

        enum CodingKeys: String, CodingKey { case text, index, logprobs, finishReason = "finish_reason" }
    }
    public var id: String
    public var object = "text_completion"
    public var created: Int64
    public var model: String
    public var systemFingerprint: String
    public var choices: [Choice]
    public var usage: CompletionUsage?

    public init(id: String, created: Int64, model: String, systemFingerprint: String, choices: [Choice], usage: CompletionUsage?) {
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
