import FinchAPI
import FinchStore
import Foundation

/// What a job's `model` stands for: a base model (or an alias of one), or a fine-tuned model of the same
/// tenant to continue training — then the base it was trained on, its adapter to start from, and the LoRA
/// settings that adapter has (a continued model keeps them).
struct ModelLineage {
    /// The installed base model at the root of the chain (its directory name).
    var baseName: String
    var baseDirectory: String
    /// The parent's trained weights: a LoRA adapter to start from, or a full model to train on.
    var parentDirectory: String?
    var parentIsFull = false
    var parentOptions: FinchTrainingOptions?

    static func resolve(_ model: String, tenant: Tenant, services: FinchServices, depth: Int = 0) async throws -> ModelLineage {
        if let directory = services.models.baseModel(named: model) {
            return ModelLineage(baseName: (directory as NSString).lastPathComponent, baseDirectory: directory)
        }
        guard depth < 16, let parent = try await services.store.succeededJob(fineTunedModel: model, tenant: tenant) else {
            throw JobFailure(JobError(code: "model_not_available",
                                      message: "The model \(model) is not installed and is not one of your fine-tuned models.",
                                      param: "model"))
        }
        let root = try await resolve(parent.model, tenant: tenant, services: services, depth: depth + 1)
        return ModelLineage(baseName: root.baseName, baseDirectory: root.baseDirectory,
                            parentDirectory: services.modelFiles.modelDirectory(of: parent.id),
                            parentIsFull: parent.finch?.trainingType == "full", parentOptions: parent.finch)
    }
}
