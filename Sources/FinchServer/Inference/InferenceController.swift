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
        var request = request
        let (body, raw) = try await Self.readBody(&request, as: ChatCompletionRequest.self, context: context)
        let hosted = try await model(named: modelName(body.model, context), context: context)
        let responder = ChatCompletionResponder(host: services.modelHost, hosted: hosted, now: services.now, logger: context.logger)
        if body.stream == true { return try await responder.respond(body, raw: raw) }
        return await ClientDisconnect.stoppingGeneration(of: request, logger: context.logger) {
            try await responder.respond(body, raw: raw)
        }
    }

    @Sendable func completions(_ request: Request, context: FinchRequestContext) async throws -> Response {
        var request = request
        let (body, _) = try await Self.readBody(&request, as: CompletionRequest.self, context: context)
        let hosted = try await model(named: modelName(body.model, context), context: context)
        let responder = TextCompletionResponder(host: services.modelHost, hosted: hosted, now: services.now, logger: context.logger)
        if body.stream == true { return try await responder.respond(body) }
        return await ClientDisconnect.stoppingGeneration(of: request, logger: context.logger) { try await responder.respond(body) }
    }

    /// The deployment of an Azure path, else the body's `model`.
    private func modelName(_ model: String?, _ context: FinchRequestContext) throws -> String {
        if dialect == .azure, let deployment = context.parameters.get("deployment") { return deployment }
        guard let model else { throw APIError.invalidRequest("Missing required parameter: 'model'.", param: "model") }
        return model
    }

    /// The loaded model for `name`. A name that is not a base model (or alias) is looked up among the
    /// caller's fine-tuned models and checkpoints (succeeded jobs, not deleted) and registered on the model
    /// host on first use — so a job's model answers as soon as the job succeeds, only for its own tenant.
    private func model(named name: String, context: FinchRequestContext) async throws -> HostedModel {
        let host = services.modelHost
        do {
            if !(await host.isBaseModel(name)) {
                guard let (base, directory) = try await fineTunedModel(name, tenant: context.tenant) else {
                    // A deleted model's weights are gone: forget it (another tenant's miss leaves it registered).
                    if let registered = await host.adapterDirectory(of: name),
                       !FileManager.default.fileExists(atPath: registered.path) {
                        await host.unregisterAdapter(name: name)
                    }
                    throw APIError.modelNotFound(name)
                }
                try await host.registerAdapter(name: name, base: base, directory: directory)
            }
            return try await host.model(named: name)
        } catch {
            throw APIError.inference(error, model: name)
        }
    }

    /// The base and weights directory of the tenant's fine-tuned model or checkpoint model `name`.
    private func fineTunedModel(_ name: String, tenant: Tenant) async throws -> (base: String, directory: URL)? {
        for (job, checkpoints) in try await services.store.fineTunedModels(tenant: tenant) {
            if job.fineTunedModel == name {
                return (job.model, URL(fileURLWithPath: services.modelFiles.modelDirectory(of: job.id)))
            }
            if let checkpoint = checkpoints.first(where: { $0.modelName == name }) {
                return (job.model, URL(fileURLWithPath: checkpoint.directory))
            }
        }
        return nil
    }

    /// The typed body (OpenAI's 400s for bad JSON and types) and the same JSON as ordered template values;
    /// `request` keeps the collected body.
    static func readBody<T: Decodable>(_ request: inout Request, as type: T.Type, context: FinchRequestContext) async throws
        -> (T, TemplateValue)
    {
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
package struct CompletionIdentity: Sendable {
    let id: String
    let created: Int64
    let model: String
    static let fingerprint = "fp_finch"

    package init(id: String, created: Int64, model: String) {
        self.id = id
        self.created = created
        self.model = model
    }
}

/// The log probabilities of the chat API from the engine's.
extension ChatTokenLogprob {
    init(_ entry: TokenLogprob) {
        self.init(token: entry.token, logprob: finiteLogprob(entry.logprob), bytes: entry.bytes,
                  topLogprobs: entry.top.map { .init(token: $0.token, logprob: finiteLogprob($0.logprob), bytes: $0.bytes) })
    }
}

/// OpenAI reports -9999.0 for "very unlikely"; JSON has no -inf.
func finiteLogprob(_ value: Double) -> Double {
    value.isFinite ? max(value, -9999) : -9999
}
