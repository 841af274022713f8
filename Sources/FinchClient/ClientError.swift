import FinchAPI
import Foundation

/// Why a client call failed. `description` is what a person should read: for an API error, the
/// server's own message (OpenAI's `error.message`).
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with an error status and, usually, an OpenAI error body.
    case api(status: Int, error: ErrorResponse.Body?, body: String)
    /// The request never got an HTTP answer (connection refused, DNS, TLS, timeout).
    case transport(String)
    /// The server answered 2xx with something that is not the expected object.
    case unexpectedResponse(String)
    /// A local problem before any request: an unreadable file, a bad flag value.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .api(let status, let error?, _):
            var text = error.message
            if let code = error.code { text += " (\(code), HTTP \(status))" } else { text += " (HTTP \(status))" }
            return text
        case .api(let status, nil, let body):
            let snippet = body.trimmingCharacters(in: .whitespacesAndNewlines).prefix(300)
            return snippet.isEmpty ? "The server answered HTTP \(status)." : "The server answered HTTP \(status): \(snippet)"
        case .transport(let message), .unexpectedResponse(let message), .invalidArgument(let message):
            return message
        }
    }

    /// The OpenAI error body of an API error (`code`, `param`, `type`, `message`).
    public var apiError: ErrorResponse.Body? {
        if case .api(_, let error, _) = self { return error }
        return nil
    }

    /// The HTTP status of an API error.
    public var status: Int? {
        if case .api(let status, _, _) = self { return status }
        return nil
    }

    /// Worth trying again: no answer at all, or a server error (5xx, 429) rather than a refusal.
    public var isTransient: Bool {
        switch self {
        case .transport: true
        case .api(let status, _, _): status >= 500 || status == 429
        default: false
        }
    }

    /// An error response as OpenAI shapes it (`{"error":{…}}`), or the raw body when it is not.
    static func fromResponse(status: Int, body: Data) -> ClientError {
        let parsed = try? JSONDecoder().decode(LenientErrorResponse.self, from: body)
        return .api(status: status, error: parsed?.error, body: String(decoding: body, as: UTF8.self))
    }
}

/// OpenAI-compatible servers differ in which error keys they send; only `message` is needed.
private struct LenientErrorResponse: Decodable {
    var error: ErrorResponse.Body

    enum CodingKeys: String, CodingKey { case error }
    enum BodyKeys: String, CodingKey { case message, type, param, code }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let body = try container.nestedContainer(keyedBy: BodyKeys.self, forKey: .error)
        error = ErrorResponse.Body(
            message: try body.decode(String.self, forKey: .message),
            type: (try? body.decodeIfPresent(String.self, forKey: .type)) ?? "error",
            param: try? body.decodeIfPresent(String.self, forKey: .param),
            code: Self.code(body))
    }

    /// `code` is a string at OpenAI, sometimes a number elsewhere.
    private static func code(_ body: KeyedDecodingContainer<BodyKeys>) -> String? {
        if let text = try? body.decodeIfPresent(String.self, forKey: .code) { return text }
        if let number = try? body.decodeIfPresent(Int.self, forKey: .code) { return String(number) }
        return nil
    }
}
