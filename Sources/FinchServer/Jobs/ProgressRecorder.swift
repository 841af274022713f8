import FinchAPI
import FinchStore
import FinchTraining
import Foundation
import Logging

/// Turns the trainer's events into job events (`Step N/M: training loss=…` as `metrics` events with the
/// spec's data fields), checkpoints (each also a model `…:ckpt-step-N`, the last 3 kept) and the
/// job's `estimated_finish`.
actor ProgressRecorder {
    let services: FinchServices
    let job: StoredJob
    let logger: Logger
    private var lastEstimateUpdate = ContinuousClock.now - .seconds(60)

    init(services: FinchServices, job: StoredJob, logger: Logger) {
        self.services = services
        self.job = job
        self.logger = logger
    }

    func record(_ event: TrainingEvent) async {
        do {
            switch event {
            case .started(let plan):
                if plan.truncatedExamples > 0 {
                    try await services.store.appendEvents([StoredJobEvent(
                        jobID: job.id, createdAt: services.now, level: .warn,
                        message: "\(plan.truncatedExamples) example(s) are longer than the context and were truncated (\(plan.truncatedTokens) tokens dropped).")])
                }
            case .step(let metrics):
                try await services.store.appendEvents([StoredJobEvent(
                    jobID: job.id, createdAt: services.now, type: .metrics,
                    message: Self.message(metrics), data: Self.data(metrics))])
                if ContinuousClock.now - lastEstimateUpdate > .seconds(5) {
                    lastEstimateUpdate = ContinuousClock.now
                    _ = try? await services.store.transitionJob(
                        id: job.id, tenant: nil, from: [.running], to: .running,
                        changes: JobChanges(estimatedFinish: services.now + Int64(metrics.eta.rounded())), events: [])
                }
            case .checkpoint(let info):
                let name = FineTunedModelName.checkpoint(job: job, step: info.step)
                let removed = try await services.store.insertCheckpoint(
                    StoredCheckpoint(jobID: job.id, createdAt: services.now, modelName: name, stepNumber: info.step,
                                     metrics: Self.checkpointMetrics(info.metrics), directory: info.directory),
                    keep: 3)
                await FineTunedModels.register(name, job: job, directory: info.directory, services, logger: logger)
                for old in removed {
                    await FineTunedModels.unregister(old.modelName, services)
                    try? FileManager.default.removeItem(atPath: old.directory)
                }
                try await services.store.appendEvents([StoredJobEvent(
                    jobID: job.id, createdAt: services.now, message: "Checkpoint created at step \(info.step)")])
                if job.classification != nil { await recordClassification(step: info.step, model: name) }
            case .resumeStateSaved, .finished:
                break
            }
        } catch {
            logger.error("could not record training progress", metadata: ["job_id": .string(job.id), "error": "\(error)"])
        }
    }

    /// Legacy classification metrics of the epoch's checkpoint, as a metrics event of that step.
    private func recordClassification(step: Int, model: String) async {
        do {
            let metrics = try await ClassificationMetrics.evaluate(job: job, modelName: model, services: services)
            guard let accuracy = metrics["classification/accuracy"] else { return }
            var data: [String: JSONValue] = ["step": .number(Double(step))]
            for (key, value) in metrics { data[key] = .number(value) }
            try await services.store.appendEvents([StoredJobEvent(
                jobID: job.id, createdAt: services.now, type: .metrics,
                message: "Classification metrics at step \(step): accuracy=\(String(format: "%.4f", accuracy))", data: .object(data))])
        } catch {
            logger.error("classification metrics failed", metadata: ["job_id": .string(job.id), "error": "\(error)"])
        }
    }

    static func message(_ m: StepMetrics) -> String {
        var text = "Step \(m.step)/\(m.totalSteps): training loss=\(String(format: "%.4f", m.trainLoss))"
        if let valid = m.validLoss ?? m.fullValidLoss { text += ", validation loss=\(String(format: "%.4f", valid))" }
        return text
    }

    /// The metrics event `data` fields of the spec: step, total_steps, train_loss, train_mean_token_accuracy, …
    static func data(_ m: StepMetrics) -> JSONValue {
        var data: [String: JSONValue] = [
            "step": .number(Double(m.step)), "total_steps": .number(Double(m.totalSteps)),
            "train_loss": .number(m.trainLoss), "train_mean_token_accuracy": .number(m.trainAccuracy),
            "tokens": .number(Double(m.tokens)),
        ]
        if let value = m.validLoss { data["valid_loss"] = .number(value) }
        if let value = m.validAccuracy { data["valid_mean_token_accuracy"] = .number(value) }
        if let value = m.fullValidLoss { data["full_valid_loss"] = .number(value) }
        if let value = m.fullValidAccuracy { data["full_valid_mean_token_accuracy"] = .number(value) }
        return .object(data)
    }

    static func checkpointMetrics(_ m: StepMetrics) -> [String: Double] {
        var metrics = ["step": Double(m.step), "train_loss": m.trainLoss, "train_mean_token_accuracy": m.trainAccuracy]
        if let value = m.validLoss { metrics["valid_loss"] = value }
        if let value = m.validAccuracy { metrics["valid_mean_token_accuracy"] = value }
        if let value = m.fullValidLoss { metrics["full_valid_loss"] = value }
        if let value = m.fullValidAccuracy { metrics["full_valid_mean_token_accuracy"] = value }
        return metrics
    }
}
