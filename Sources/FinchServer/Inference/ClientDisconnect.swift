import FinchInference
import HTTPTypes
import Hummingbird
import Logging

/// A client that goes away stops its generations. Streamed responses stop when writing the next chunk
/// fails; a non-streaming response writes nothing until the end, so it watches the connection instead:
/// Hummingbird reports the closed inbound side of the connection and cancels the handler, the cancelled
/// handler ends its generation streams, and the compute thread drops those sessions before their next token.
enum ClientDisconnect {
    /// Runs `respond` (a non-streaming completion), cancelled when the client closes the connection. Watching
    /// the connection consumes its inbound side, so the response — an error too — says `connection: close`:
    /// a client that sent its next request on the same connection would otherwise wait for an answer the
    /// server can no longer read the request for, and see the connection dropped.
    static func stoppingGeneration(of request: Request, logger: Logger, _ respond: () async throws -> Response) async -> Response {
        var response: Response
        do {
            response = try await request.body.consumeWithCancellationOnInboundClose { _ in try await respond() }
        } catch {
            response = ErrorMiddleware.response(for: error, request: request, logger: logger)
        }
        response.headers[.connection] = "close"
        return response
    }
}

extension ModelHost {
    /// One generation stream per request; a generation stopped because its client left is logged
    /// (`generation cancelled`, with the request id of `logger`'s metadata and the tokens generated).
    nonisolated func generations(_ hosted: HostedModel, _ requests: [GenerationRequest], logger: Logger)
        -> [AsyncThrowingStream<GenerationUpdate, any Error>]
    {
        requests.map { request in
            generate(hosted, request) { tokens in
                logger.info("generation cancelled", metadata: [
                    "model": .string(hosted.name), "completion_tokens": .stringConvertible(tokens),
                    "max_tokens": .stringConvertible(request.maxTokens),
                ])
            }
        }
    }
}
