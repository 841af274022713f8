import FinchAPI
import Foundation

/// One message of a conversation, as sent to `/chat/completions`.
public struct ChatTurn: Codable, Sendable, Equatable {
    public var role: String
    public var content: String

    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}

/// The `/chat/completions` request fields the client sets; unset ones are left out.
public struct ChatRequest: Encodable, Sendable {
    public var model: String
    public var messages: [ChatTurn]
    public var temperature: Double?
    public var maxTokens: Int?
    public var stream: Bool?

    public init(model: String, messages: [ChatTurn], temperature: Double? = nil, maxTokens: Int? = nil) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
    }

    enum CodingKeys: String, CodingKey {
        case model, messages, temperature, stream
        case maxTokens = "max_tokens"
    }
}

extension FinchClient {
    /// `POST /chat/completions` without streaming: the first choice's text.
    public func chat(_ request: ChatRequest) async throws(ClientError) -> String {
        var request = request
        request.stream = nil
        let answer: Fetched<ChatAnswer> = try await call("POST", ["chat", "completions"], json: try Self.encoded(request))
        guard let choice = answer.value.choices.first else { throw .unexpectedResponse("The chat completion has no choices.") }
        return choice.message.content ?? ""
    }

    /// `POST /chat/completions` with `stream: true`: the first choice's text deltas as they arrive.
    /// An error event in the stream (`data: {"error":…}`) ends it with that error.
    public func streamChat(_ request: ChatRequest) -> AsyncThrowingStream<String, any Error> {
        var request = request
        request.stream = true
        let body: Data
        do { body = try Self.encoded(request) } catch { return AsyncThrowingStream { $0.finish(throwing: error) } }
        let bytes = transport.stream(transport.request("POST", ["chat", "completions"], json: body))
        return AsyncThrowingStream { continuation in
            let task = Task {
                var parser = ServerSentEventParser()
                do {
                    for try await chunk in bytes {
                        for payload in parser.feed(chunk) {
                            if payload == "[DONE]" { continuation.finish(); return }
                            if let text = try Self.delta(payload) { continuation.yield(text) }
                        }
                    }
                    for payload in parser.finish() where payload != "[DONE]" {
                        if let text = try Self.delta(payload) { continuation.yield(text) }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// The content delta of one `chat.completion.chunk` (nil for role, finish and usage chunks).
    static func delta(_ payload: String) throws(ClientError) -> String? {
        let data = Data(payload.utf8)
        if let failure = try? JSONDecoder().decode(ErrorResponse.self, from: data) {
            throw .api(status: 200, error: failure.error, body: payload)
        }
        let chunk = try JSONDecoder.decodeAnswer(ChatChunk.self, from: data)
        return chunk.choices.first(where: { $0.index == 0 })?.delta.content
    }

    static func encoded(_ request: ChatRequest) throws(ClientError) -> Data {
        do { return try JSONEncoder().encode(request) } catch { throw .invalidArgument("Cannot encode the chat request: \(error)") }
    }
}

/// The parts of a `chat.completion` the client reads (other servers may omit fields Finch sends).
struct ChatAnswer: Decodable, Sendable {
    struct Choice: Decodable, Sendable {
        struct Message: Decodable, Sendable { var content: String? }
        var message: Message
    }
    var choices: [Choice]
}

/// The parts of a `chat.completion.chunk` the client reads.
struct ChatChunk: Decodable, Sendable {
    struct Choice: Decodable, Sendable {
        struct Delta: Decodable, Sendable { var content: String? }
        var index: Int?
        var delta: Delta
    }
    var choices: [Choice]
}

/// A conversation with one model: each answer is streamed and kept, so the next question has the context.
public struct ChatConversation: Sendable {
    public let model: String
    public var temperature: Double?
    public var maxTokens: Int?
    public private(set) var messages: [ChatTurn]
    private let system: String?

    public init(model: String, system: String? = nil, temperature: Double? = nil, maxTokens: Int? = nil) {
        self.model = model
        self.system = system
        self.temperature = temperature
        self.maxTokens = maxTokens
        messages = system.map { [ChatTurn(role: "system", content: $0)] } ?? []
    }

    /// Asks `question`, calls `onText` with each piece of the answer, and keeps both in the conversation.
    /// On failure the conversation is left as it was.
    public mutating func ask(_ question: String, client: FinchClient,
                             onText: (String) -> Void) async throws -> String {
        let asked = messages + [ChatTurn(role: "user", content: question)]
        var answer = ""
        let request = ChatRequest(model: model, messages: asked, temperature: temperature, maxTokens: maxTokens)
        for try await piece in client.streamChat(request) {
            answer += piece
            onText(piece)
        }
        messages = asked + [ChatTurn(role: "assistant", content: answer)]
        return answer
    }

    /// Forgets everything but the system message.
    public mutating func reset() {
        messages = system.map { [ChatTurn(role: "system", content: $0)] } ?? []
    }
}
