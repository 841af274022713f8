import FinchAPI
import Foundation
import Hummingbird

/// JSON responses with `Content-Type: application/json` (the SDK parses on the content type).
enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()

    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        let data = try encoder.encode(value)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A created object: OpenAI answers 200 with it; Azure 201 with a `Location` header (`/openai/PATH?api-version=`).
    static func created(_ value: some Encodable, dialect: APIDialect, location path: String, request: Request) throws -> Response {
        guard dialect == .azure else { return try make(value) }
        let version = request.uri.queryParameters["api-version"].map(String.init) ?? ""
        return try make(value, status: .created, headers: [.location: "/openai/\(path)?api-version=\(version)"])
    }

    /// The error body in the dialect of the route.
    static func error(_ error: APIError, dialect: APIDialect) -> Response {
        let status = HTTPResponse.Status(code: error.status)
        var headers: HTTPFields = [:]
        if error.status == 400 || error.status == 404 || error.status == 413 || error.status == 415 {
            headers[.init("x-should-retry")!] = "false"
        }
        let response: Response? = switch dialect {
        case .openAI: try? make(ErrorResponse(error), status: status, headers: headers)
        case .azure: try? make(AzureErrorResponse(error), status: status, headers: headers)
        }
        return response ?? Response(status: .internalServerError)
    }
}

/// Decodes a JSON request body into `T`, turning every failure into a 400 in OpenAI's words.
extension Request {
    func decodeJSON<T: Decodable>(_ type: T.Type, context: FinchRequestContext) async throws -> T {
        let buffer: ByteBuffer
        do {
            var request = self
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError.tooLarge("The request body is larger than \(context.maxUploadSize) bytes.")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: buffer))
        } catch let error as DecodingError {
            throw APIError.invalidRequest(Self.describe(error), param: Self.path(of: error))
        }
    }

    private static let unparsable = "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON. If you have trouble figuring out how to fix this, please contact us through our help center at help.openai.com.)"

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return unparsable
        case .typeMismatch(let type, let context):
            return "Invalid type for '\(dotted(context.codingPath))': expected \(typeName(type))."
        case .valueNotFound(let type, let context):
            return "Invalid type for '\(dotted(context.codingPath))': expected \(typeName(type)), but got null."
        case .keyNotFound(let key, let context):
            return "Missing required parameter: '\(dotted(context.codingPath + [key]))'."
        case .dataCorrupted(let context):
            return "Invalid value for '\(dotted(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return unparsable
        }
    }

    private static func path(of error: DecodingError) -> String? {
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            context.codingPath.isEmpty ? nil : dotted(context.codingPath)
        case .keyNotFound(let key, let context):
            dotted(context.codingPath + [key])
        @unknown default:
            nil
        }
    }

    private static func dotted(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "a boolean"
        default: "\(type)".hasPrefix("Array") ? "an array" : "an object"
        }
    }
}
