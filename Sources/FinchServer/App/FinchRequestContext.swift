import FinchAPI
import Hummingbird

/// Per-request state: who is calling (set by `AuthMiddleware`) and the request id.
public struct FinchRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var tenant: Tenant = .local
    public var requestID = ""

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Limit for bodies collected in memory (JSON requests). File bodies are streamed and have their own limits.
    public var maxUploadSize: Int { 8 << 20 }
}

/// Which wire dialect a route speaks: OpenAI's (`/v1/…`) or Azure's (`/openai/…?api-version=`).
public enum APIDialect: Sendable {
    case openAI
    case azure

    init(path: String) {
        self = path.hasPrefix("/openai/") || path == "/openai" ? .azure : .openAI
    }
}
