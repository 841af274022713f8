import FinchAPI
import FinchInference
import FinchTokenizer
import Foundation
import Hummingbird

/// `POST /chat/completions` and `POST /completions` (OpenAI, `/v1`), and Azure's
/// `POST /deployments/{deployment}/chat/completions|completions?api-version=` (`/openai`), where the
/// deployment is a model name or alias. Models come from `FinchServices.modelHost`.
struct InferenceController {
    let services: FinchServices
    let dialect: APIDialect

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        switch dialect {
        case .openAI:
            group.post("chat/completions", use: chatCompletions)
            group.post("completions", use: completions)
        case .azure:
            group.post("deployments/:deployment/chat/completions", use: chatCompletions)
            group.post("deployments/:deployment/completions", use: completions)
        }
    }

    @Sendable func chatCompletions(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let (body, raw) = try await Self.readBody(request, as: ChatCompletionRequest.self, context: context)
        let hosted = try await model(named: deployment(context) ?? body.model, context: context)
        return try await ChatCompletionResponder(host: services.modelHost, hosted: hosted, now: services.now)
            .respond(body, raw: raw)
    }

    @Sendable func completions(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let (body, _) = try await Self.readBody(request, as: CompletionRequest.self, context: context)
        let hosted = try await model(named: deployment(context) ?? body.model, context: context)
        return try await TextCompletionResponder(host: services.modelHost, hosted: hosted, now: services.now).respond(body)
    }

    private func deployment(_ context: FinchRequestContext) -> String? {
        dialect == .azure ? context.parameters.get("deployment") : nil
    }

    /// The loaded model for `name`. A fine-tuned model (`ft:{base}:{org}:…`) is visible to its organization only.
    private func model(named name: String, context: FinchRequestContext) async throws -> HostedModel {
        guard Self.isVisible(name, to: context.tenant) else { throw APIError.modelNotFound(name) }
        do {
            return try await services.modelHost.model(named: name)
        } catch {
            throw APIError.inference(error, model: name)
        }
    }

    static func isVisible(_ name: String, to tenant: Tenant) -> Bool {
        guard name.hasPrefix("ft:") else { return true }
        let parts = name.split(separator: ":", omittingEmptySubsequences: false)
        return parts.count >= 3 && parts[2] == tenant.organization
    }

    /// The typed body (OpenAI's 400s for bad JSON and types) and the same JSON as ordered template values.
    static func readBody<T: Decodable>(_ request: Request, as type: T.Type, context: FinchRequestContext) async throws
        -> (T, TemplateValue)
    {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: context.maxUploadSize)
        } catch {
            throw APIError.tooLarge("The request body is larger than \(context.maxUploadSize) bytes.")
        }
        let typed = try await request.decodeJSON(T.self, context: context)
        let raw = (try? TemplateValue(parsingJSON: buffer.readableBytesView)) ?? .null
        return (typed, raw)
    }
}

/// What every response of one request shares.
struct CompletionIdentity: Sendable {
    let id: String
    let created: Int64
    let model: String
    static let fingerprint = "fp_finch"
}

/// The log probabilities of the chat API from the engine's.
extension ChatTokenLogprob {
    init(_ entry: TokenLogprob) {
        self.init(token: entry.token, logprob: entry.logprob, bytes: entry.bytes,
                  topLogprobs: entry.top.map { .init(token: $0.token, logprob: $0.logprob, bytes: $0.bytes) })
    }
}
