import FinchAPI
import FinchStore
import FinchTraining
import Foundation

/// The engine's `TrainingConfiguration` for a job: its files, its base model, its (resolved or `"auto"`)
/// hyperparameters, its seed and Finch options, with outputs under `DATA/jobs/<id>/run`.
enum JobTrainingConfiguration {
    /// A job continuing a fine-tuned model trains its parent further: on the parent's full weights, or from the
    /// parent's LoRA adapter with the parent's rank, alpha and targets.
    static func make(for job: StoredJob, services: FinchServices) async throws -> TrainingConfiguration {
        let lineage = try await ModelLineage.resolve(job.model, tenant: job.tenant, services: services)
        var options = job.finch ?? FinchTrainingOptions()
        var modelDirectory = lineage.baseDirectory
        var initialAdapter: String?
        if let parent = lineage.parentDirectory {
            if lineage.parentIsFull {
                modelDirectory = parent
                options.trainingType = "full"
            } else {
                initialAdapter = parent
                let inherited = lineage.parentOptions ?? FinchTrainingOptions()
                options.trainingType = "lora"
                options.loraRank = inherited.loraRank
                options.loraAlpha = inherited.loraAlpha
                options.loraTargetModules = inherited.loraTargetModules
            }
        }
        let method: TrainingMethod = options.trainingType == "full"
            ? .full
            : .lora(LoRAConfiguration(rank: options.loraRank ?? 8, alpha: options.loraAlpha ?? 16,
                                      dropout: options.loraDropout ?? 0, targets: options.loraTargetModules))
        return TrainingConfiguration(
            modelDirectory: modelDirectory,
            trainingFile: services.blobs.path(forFile: job.trainingFile),
            validationFile: job.validationFile.map(services.blobs.path(forFile:)),
            outputDirectory: services.modelFiles.runDirectory(of: job.id),
            epochs: job.hyperparameters.nEpochs?.value,
            batchSize: job.hyperparameters.batchSize?.value,
            learningRateMultiplier: job.hyperparameters.learningRateMultiplier?.value,
            method: method,
            seed: UInt64(job.seed),
            promptLossWeight: job.promptLossWeight,
            resumeStateInterval: 60,
            initialAdapterDirectory: initialAdapter)
    }
}
