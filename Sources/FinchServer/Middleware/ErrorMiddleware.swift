import FinchAPI
import FinchStore
import Hummingbird
import Logging

/// Turns every error thrown below it, including the router's "not found", into an error body in the
/// route's dialect. Nothing escapes as a bare 500: an unexpected error is logged and answered with
/// OpenAI's generic server error.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = FinchRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return Self.response(for: error, request: request, logger: context.logger)
        }
    }

    /// The error body `error` is answered with (logged when it is the server's fault).
    static func response(for error: any Error, request: Request, logger: Logger) -> Response {
        let apiError = apiError(for: error, request: request)
        if apiError.status >= 500 {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        return JSONResponse.error(apiError, dialect: APIDialect(path: request.uri.path))
    }

    static func apiError(for error: any Error, request: Request) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case StoreError.unknownCursor(let id):
            return .invalidRequest("Invalid 'after': no object with id '\(id)' in this list.", param: "after", code: "invalid_cursor")
        case StoreError.stateConflict(let message):
            var error = APIError.invalidRequest(message)
            error.azureCode = "unexpectedEntityState"
            return error
        case let error as HTTPError:
            switch error.status {
            case .notFound: return .unknownURL(method: request.method.rawValue, path: request.uri.path)
            case .contentTooLarge: return .tooLarge("The request body is too large.")
            case .methodNotAllowed: return .methodNotAllowed(method: request.method.rawValue, path: request.uri.path)
            default:
                if error.status.code < 500 {
                    return .invalidRequest(error.body ?? error.status.reasonPhrase)
                }
                return .internalError
            }
        default:
            return .internalError
        }
    }
}
