/// `POST /v1/chat/completions` (spec `CreateChatCompletionRequest`): the fields Finch acts on. Unknown
/// fields are ignored, as OpenAI ignores fields it does not know for older models. `tools`,
/// `tool_choice` and assistant `tool_calls` are read from the raw JSON by the server (key order matters
/// when they are rendered into a prompt).
public struct ChatCompletionRequest: Decodable, Sendable {
    /// Required on `/v1`; Azure's deployments path names the model instead.
    public var model: String?
    public var messages: [ChatMessage]
    public var maxTokens: Int?
    public var maxCompletionTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var n: Int?
    public var seed: Int64?
    public var stop: StopSequences?
    public var presencePenalty: Double?
    public var frequencyPenalty: Double?
    public var logprobs: Bool?
    public var topLogprobs: Int?
    public var user: String?
    public var stream: Bool?
    public var streamOptions: StreamOptions?
    public var parallelToolCalls: Bool?

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, n, seed, stop, logprobs, user, stream
        case maxTokens = "max_tokens", maxCompletionTokens = "max_completion_tokens", topP = "top_p"
        case presencePenalty = "presence_penalty", frequencyPenalty = "frequency_penalty"
        case topLogprobs = "top_logprobs", streamOptions = "stream_options", parallelToolCalls = "parallel_tool_calls"
    }
}

/// `stream_options`.
public struct StreamOptions: Decodable, Sendable {
    public var includeUsage: Bool?
    enum CodingKeys: String, CodingKey { case includeUsage = "include_usage" }
}

/// `stop`: a string, an array of strings, or null.
public struct StopSequences: Decodable, Sendable, Equatable {
    public var values: [String]

    public init(_ values: [String]) { self.values = values }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            values = []
        } else if let one = try? container.decode(String.self) {
            values = [one]
        } else {
            values = try container.decode([String].self)
        }
    }
}

/// One message of `messages`. `content` is a string, an array of content parts, or null (an assistant
/// message with tool calls).
public struct ChatMessage: Decodable, Sendable {
    public var role: String
    public var content: MessageContent?
    public var name: String?
    public var toolCallID: String?

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCallID = "tool_call_id"
    }
}

public enum MessageContent: Decodable, Sendable, Equatable {
    case text(String)
    case parts([ContentPart])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            self = .text(text)
        } else {
            self = .parts(try container.decode([ContentPart].self))
        }
    }
}

/// A content part: `{"type":"text","text":…}` (and `refusal`); other types are refused by the server.
public struct ContentPart: Decodable, Sendable, Equatable {
    public var type: String
    public var text: String?
    public var refusal: String?
}
