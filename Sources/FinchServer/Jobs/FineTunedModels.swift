import FinchAPI
import FinchStore
import Foundation
import Logging

/// Keeps the model host in step with the store: every fine-tuned model and checkpoint of a succeeded job
/// is servable by name (registered when created, at start-up, and forgotten when deleted), and a name
/// is only served to the tenant that owns it.
enum FineTunedModels {
    /// Registers every fine-tuned model and checkpoint in the store (at start-up).
    static func registerAll(_ services: FinchServices, logger: Logger) async {
        do {
            for (job, checkpoints) in try await services.store.fineTunedModels(tenant: nil) {
                if let name = job.fineTunedModel {
                    await register(name, job: job, directory: services.modelFiles.modelDirectory(of: job.id), services, logger: logger)
                }
                for checkpoint in checkpoints {
                    await register(checkpoint.modelName, job: job, directory: checkpoint.directory, services, logger: logger)
                }
            }
        } catch {
            logger.error("could not register fine-tuned models", metadata: ["error": "\(error)"])
        }
    }

    static func register(_ name: String, job: StoredJob, directory: String, _ services: FinchServices, logger: Logger) async {
        do {
            let base = try await ModelLineage.resolve(job.model, tenant: job.tenant, services: services).baseName
            try await services.modelHost.registerAdapter(name: name, base: base, directory: URL(fileURLWithPath: directory))
        } catch {
            logger.error("fine-tuned model not servable", metadata: ["model": .string(name), "error": "\(error)"])
        }
    }

    static func unregister(_ name: String, _ services: FinchServices) async {
        await services.modelHost.unregisterAdapter(name: name)
    }

    /// Whether `tenant` may use model `name`: base models and aliases are everyone's; a fine-tuned model or
    /// checkpoint belongs to the tenant whose job made it.
    static func isVisible(_ name: String, to tenant: Tenant, _ services: FinchServices) async throws -> Bool {
        if await services.modelHost.isBaseModel(name) { return true }
        if try await services.store.succeededJob(fineTunedModel: name, tenant: tenant) != nil { return true }
        return try await services.store.checkpoint(modelName: name, tenant: tenant) != nil
    }
}
