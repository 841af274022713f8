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
    /// the connection consumes its inbound side, so the response says `connection: close`.
    static func stoppingGeneration(of request: Request, _ respond: () async throws -> Response) async throws -> Response {
        var response = try await request.body.consumeWithCancellationOnInboundClose { _ in try await respond() }
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
