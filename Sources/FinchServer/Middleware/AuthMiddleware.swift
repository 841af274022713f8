import Foundation
import FinchAPI
import Hummingbird

/// Resolves the caller's tenant from `Authorization: Bearer KEY` or Azure's `api-key: KEY`.
/// A missing or unknown key is a 401 with OpenAI's exact body.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = FinchRequestContext
    let keys: APIKeyRing

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let key = Self.presentedKey(request.headers) else { throw APIError.missingAPIKey }
        guard let tenant = keys.tenant(forKey: key) else { throw APIError.invalidAPIKey(key) }
        var context = context
        context.tenant = tenant
        context.logger[metadataKey: "tenant"] = .string(tenant.description)
        return try await next(request, context)
    }

    static func presentedKey(_ headers: HTTPFields) -> String? {
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                let key = parts[1].trimmingCharacters(in: .whitespaces)
                if !key.isEmpty { return key }
            }
        }
        if let key = headers[.apiKey]?.trimmingCharacters(in: .whitespaces), !key.isEmpty { return key }
        return nil
    }
}

/// Azure routes require `?api-version=`; without it they answer 400 in Azure's error shape.
struct AzureAPIVersionMiddleware: RouterMiddleware {
    typealias Context = FinchRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let version = request.uri.queryParameters["api-version"], !version.isEmpty else {
            throw APIError.invalidRequest(
                "The api-version query parameter (?api-version=) is required for all requests.", param: "api-version",
                code: "MissingApiVersionParameter")
        }
        return try await next(request, context)
    }
}
