import FinchAPI
import FinchStore
import Foundation
import Hummingbird

/// The Models API: base models (DATA/models), their aliases, and the tenant's fine-tuned models and
/// checkpoints (`…:ckpt-step-N`). Names contain `:`, which routes as part of one path segment.
struct ModelsController {
    let services: FinchServices
    let dialect: APIDialect

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        group.get("models", use: list)
        group.get("models/:model", use: retrieve)
        group.delete("models/:model", use: delete)
    }

    /// One model as the catalog knows it.
    struct Entry {
        var id: String
        var created: Int64
        var ownedBy: String
        var base: String?
        var jobID: String?
    }

    @Sendable func list(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try render(try await entries(context.tenant))
    }

    @Sendable func retrieve(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let name = try modelName(context)
        guard let entry = try await entries(context.tenant).first(where: { $0.id == name }) else {
            throw Self.notFound(name)
        }
        return try render(entry)
    }

    @Sendable func delete(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let name = try modelName(context)
        guard let deleted = try await services.store.deleteModel(named: name, tenant: context.tenant, now: services.now) else {
            if try await entries(context.tenant).contains(where: { $0.id == name }) {
                throw APIError(status: 403, message: "You are not allowed to delete the base model \(name): only fine-tuned models can be deleted.",
                               type: "invalid_request_error", param: "model", code: "model_not_deletable", azureCode: "forbidden")
            }
            throw Self.notFound(name)
        }
        await FineTunedModels.unregister(name, services)
        switch deleted {
        case .fineTuned(let job):
            services.modelFiles.removeFineTunedModel(of: job.id)
        case .checkpoint(let checkpoint):
            try? FileManager.default.removeItem(atPath: checkpoint.directory)
        }
        return try JSONResponse.make(DeletedObject(id: name, object: "model"))
    }

    // MARK: Catalog

    private func entries(_ tenant: Tenant) async throws -> [Entry] {
        let catalog = services.models
        var entries: [Entry] = catalog.baseModelNames().map { name in
            Entry(id: name, created: Self.created(catalog.modelsDirectory + "/" + name), ownedBy: "system", base: nil, jobID: nil)
        }
        let bases = Set(entries.map(\.id))
        for (alias, target) in catalog.aliases().sorted(by: { $0.key < $1.key }) where bases.contains(target) && !bases.contains(alias) {
            entries.append(Entry(id: alias, created: Self.created(catalog.modelsDirectory + "/" + target), ownedBy: "system",
                                 base: target, jobID: nil))
        }
        for (job, checkpoints) in try await services.store.fineTunedModels(tenant: tenant) {
            guard let name = job.fineTunedModel else { continue }
            entries.append(Entry(id: name, created: job.finishedAt ?? job.createdAt, ownedBy: tenant.organization,
                                 base: job.model, jobID: job.id))
            for checkpoint in checkpoints {
                entries.append(Entry(id: checkpoint.modelName, created: checkpoint.createdAt, ownedBy: tenant.organization,
                                     base: job.model, jobID: job.id))
            }
        }
        return entries
    }

    private func render(_ entries: [Entry]) throws -> Response {
        switch dialect {
        case .openAI: try JSONResponse.make(PlainList(data: entries.map(Self.openAI)))
        case .azure: try JSONResponse.make(PlainList(data: entries.map(Self.azure)))
        }
    }

    private func render(_ entry: Entry) throws -> Response {
        switch dialect {
        case .openAI: try JSONResponse.make(Self.openAI(entry))
        case .azure: try JSONResponse.make(Self.azure(entry))
        }
    }

    private static func openAI(_ entry: Entry) -> ModelObject {
        ModelObject(id: entry.id, created: entry.created, ownedBy: entry.ownedBy)
    }

    private static func azure(_ entry: Entry) -> AzureModelObject {
        AzureModelObject(id: entry.id, createdAt: entry.created, model: entry.base, fineTune: entry.jobID, canFineTune: true)
    }

    private func modelName(_ context: FinchRequestContext) throws -> String {
        let raw = try context.parameters.require("model")
        return raw.removingPercentEncoding ?? raw
    }

    static func notFound(_ name: String) -> APIError {
        APIError(status: 404, message: "The model '\(name)' does not exist or you do not have access to it.",
                 type: "invalid_request_error", param: "model", code: "model_not_found", azureCode: "notFound")
    }

    static func created(_ directory: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: directory)
        return Int64((attributes?[.creationDate] as? Date ?? attributes?[.modificationDate] as? Date ?? Date()).timeIntervalSince1970)
    }
}
