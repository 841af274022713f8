import FinchAPI
import FinchStore
import FinchTraining
import Foundation

/// The engine's `TrainingConfiguration` for a job: its files, its base model, its (resolved or `"auto"`)
/// hyperparameters, its seed and Finch options, with outputs under `DATA/jobs/<id>/run`.
enum JobTrainingConfiguration {
    static func make(for job: StoredJob, services: FinchServices) throws(JobFailure) -> TrainingConfiguration {
        guard let modelDirectory = services.models.baseModel(named: job.model) else {
            if job.model.hasPrefix("ft:") {
                throw JobFailure(JobError(code: "model_not_available",
                                          message: "Continuing training from a fine-tuned model is not supported yet; start from its base model.",
                                          param: "model"))
            }
            throw JobFailure(JobError(code: "model_not_available", message: "The base model \(job.model) is not installed.",
                                      param: "model"))
        }
        let options = job.finch ?? FinchTrainingOptions()
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
            resumeStateInterval: 60)
    }
}
