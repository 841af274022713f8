/// An error as the API reports it. The server renders it in OpenAI's shape
/// `{"error":{"message","type","param","code"}}` or, on Azure routes, in Azure's shape
/// `{"error":{"code","message"}}` with `azureCode`.
///
/// Deterministic failures are 4xx (never 409 or 5xx, which the SDK retries).
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public var status: Int
    public var message: String
    public var type: String
    public var param: String?
    public var code: String?
    /// Azure's `ErrorCode` (Microsoft REST guidelines): `invalidPayload`, `notFound`, `unauthorized`, …
    public var azureCode: String

    public init(status: Int, message: String, type: String, param: String? = nil, code: String? = nil, azureCode: String) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.azureCode = azureCode
    }

    public var description: String { "\(status) \(type): \(message)" }

    /// 400: the request is malformed or names an invalid value.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> APIError {
        APIError(status: 400, message: message, type: "invalid_request_error", param: param, code: code, azureCode: "invalidPayload")
    }

    /// 404 in OpenAI's words: `No such File object: file-abc123`.
    public static func noSuchObject(_ kind: String, id: String, param: String = "id") -> APIError {
        APIError(status: 404, message: "No such \(kind) object: \(id)", type: "invalid_request_error",
                 param: param, code: nil, azureCode: "notFound")
    }

    /// 404 for a path no route serves.
    public static func unknownURL(method: String, path: String) -> APIError {
        APIError(status: 404, message: "Invalid URL (\(method) \(path))", type: "invalid_request_error",
                 param: nil, code: nil, azureCode: "notFound")
    }

    /// 405 for a known path with a method it does not serve.
    public static func methodNotAllowed(method: String, path: String) -> APIError {
        APIError(status: 405, message: "Method \(method) is not allowed for \(path)", type: "invalid_request_error",
                 param: nil, code: nil, azureCode: "invalidPayload")
    }

    /// 401 with OpenAI's exact body for a missing key.
    public static let missingAPIKey = APIError(
        status: 401,
        message: "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the password field (with blank username) if you're accessing the API from your browser and are prompted for a username. You can obtain an API key from https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error", param: nil, code: nil, azureCode: "unauthorized")

    /// 401 with OpenAI's exact body for an unknown key (the key is shown masked, as OpenAI does).
    public static func invalidAPIKey(_ key: String) -> APIError {
        APIError(status: 401,
                 message: "Incorrect API key provided: \(maskedKey(key)). You can find your API key at https://platform.openai.com/account/api-keys.",
                 type: "invalid_request_error", param: nil, code: "invalid_api_key", azureCode: "unauthorized")
    }

    /// 413: the body is larger than the configured limit.
    public static func tooLarge(_ message: String, param: String? = nil) -> APIError {
        APIError(status: 413, message: message, type: "invalid_request_error", param: param, code: "file_too_large",
                 azureCode: "invalidPayload")
    }

    /// 415: the body is not of a content type the route reads.
    public static func unsupportedMediaType(_ message: String) -> APIError {
        APIError(status: 415, message: message, type: "invalid_request_error", param: nil, code: nil,
                 azureCode: "invalidPayload")
    }

    /// 500: our own failure. The message never leaks internals.
    public static let internalError = APIError(
        status: 500, message: "The server had an error while processing your request. Sorry about that!",
        type: "server_error", param: nil, code: nil, azureCode: "internalFailure")

    /// OpenAI shows keys as `sk-abc***********wxyz`.
    static func maskedKey(_ key: String) -> String {
        guard key.count > 8 else { return String(repeating: "*", count: key.count) }
        return key.prefix(3) + String(repeating: "*", count: min(key.count - 7, 24)) + key.suffix(4)
    }
}
