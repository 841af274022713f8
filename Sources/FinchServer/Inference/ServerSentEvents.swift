import FinchAPI
import Foundation
import HTTPTypes
import Hummingbird

/// Server-sent events as OpenAI streams them: `data: {json}\n\n` per chunk, `data: [DONE]\n\n` at the end,
/// and a failure after the first byte as `data: {"error":{…}}\n\n` (the SDK raises on an `error` key).
enum ServerSentEvents {
    static let done = ByteBuffer(string: "data: [DONE]\n\n")

    static func event(_ value: some Encodable) throws -> ByteBuffer {
        var bytes = Array("data: ".utf8)
        bytes += try JSONResponse.encoder.encode(value)
        bytes += Array("\n\n".utf8)
        return ByteBuffer(bytes: bytes)
    }

    static func error(_ error: APIError) -> ByteBuffer {
        (try? event(ErrorResponse(error))) ?? ByteBuffer(string: "data: {\"error\":{\"message\":\"stream failed\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n")
    }

    /// A `text/event-stream` response whose body `write` produces.
    static func response(_ write: @escaping @Sendable (inout any ResponseBodyWriter) async throws -> Void) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream; charset=utf-8"
        headers[.cacheControl] = "no-cache"
        headers[HTTPField.Name("x-accel-buffering")!] = "no"
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await write(&writer)
            try await writer.finish(nil)
        })
    }
}
