import FinchAPI
import FinchStore
import FinchTraining
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// `queued → running → succeeded | failed`: runs the engine's trainer for a leased job on a dedicated
/// thread (so the HTTP server stays responsive), turns its progress into events and checkpoints, and
/// publishes the fine-tuned model and the results file at the end.
///
/// While it trains, a monitor renews the lease and watches the job: cancel or pause (or a graceful
/// shutdown) makes the trainer stop at the next step with a resume state on disk. A job picked up
/// again — after pause/resume, a restart or a dead worker's lease — continues from that state.
struct TrainingStage {
    let services: FinchServices
    let logger: Logger
    let owner: String
    let leaseSeconds: Int64

    func train(_ job: StoredJob) async {
        let stop = StopFlag()
        do {
            let configuration = try await JobTrainingConfiguration.make(for: job, services: services)
            let resuming = FileManager.default.fileExists(atPath: configuration.outputDirectory + "/resume_state.safetensors")
            try await services.store.appendEvents([StoredJobEvent(
                jobID: job.id, createdAt: services.now,
                message: resuming ? "Fine-tuning job resumed from its last saved state" : "Fine-tuning job started")])

            let recorder = ProgressRecorder(services: services, job: job, logger: logger)
            let (events, sink) = AsyncStream.makeStream(of: TrainingEvent.self, bufferingPolicy: .unbounded)
            let result: TrainingResult = try await withThrowingTaskGroup(of: TrainingResult?.self) { group in
                group.addTask {  // writes progress to the store in order
                    for await event in events { await recorder.record(event) }
                    return nil
                }
                group.addTask {  // lease renewal and stop requests
                    await monitor(job, stop: stop)
                    return nil
                }
                let result = try await TrainingThread.run {
                    try Trainer.run(configuration, resume: true, observe: { sink.yield($0) },
                                    shouldStop: { stop.isRaised })
                }
                sink.finish()
                stop.raise()  // ends the monitor
                while let next = try await group.next() { _ = next }
                return result
            }
            if result.completed {
                try await finish(job, result: result, recorder: recorder)
            } else {
                try await stopped(job)
            }
        } catch let failure as JobFailure {
            await fail(job, failure.error)
        } catch let error as DataValidationError {
            await fail(job, JobError(code: error.code, message: error.jobMessage, param: error.param))
        } catch {
            logger.error("training failed", metadata: ["job_id": .string(job.id), "error": "\(error)"])
            await fail(job, JobError(code: "training_failed", message: "Training failed: \(error)", param: nil))
        }
    }

    /// Renews the lease every few seconds and raises `stop` when the job leaves `running` (cancel, pause),
    /// the lease is lost, or the server shuts down.
    private func monitor(_ job: StoredJob, stop: StopFlag) async {
        var lastRenewal = ContinuousClock.now
        while !stop.isRaised {
            try? await Task.sleep(for: .milliseconds(250))
            if Task.isShuttingDownGracefully || Task.isCancelled {
                stop.raise()
                return
            }
            guard let current = try? await services.store.job(id: job.id, tenant: nil) else { continue }
            if current.status != .running || current.leaseOwner != owner {
                stop.raise()
                return
            }
            if ContinuousClock.now - lastRenewal > .seconds(leaseSeconds / 3) {
                _ = try? await services.store.renewLease(jobID: job.id, owner: owner, until: services.now + leaseSeconds)
                lastRenewal = ContinuousClock.now
            }
        }
    }

    /// The trainer stopped early: paused or cancelled jobs keep their state (already changed by the API);
    /// a job still `running` (shutdown) goes back to the queue to resume from its saved state.
    private func stopped(_ job: StoredJob) async throws {
        do {
            _ = try await services.store.transitionJob(
                id: job.id, tenant: nil, from: [.running], to: .queued, changes: JobChanges(releaseLease: true),
                events: [StoredJobEvent(jobID: job.id, createdAt: services.now,
                                        message: "Training interrupted; the job will resume from its last saved state")])
        } catch StoreError.stateConflict {
            _ = try await services.store.transitionJob(
                id: job.id, tenant: nil, from: [.paused, .cancelled], to: (try await services.store.job(id: job.id, tenant: nil))?.status ?? .cancelled,
                changes: JobChanges(releaseLease: true), events: [])
        }
        services.jobSignals.jobsChanged()
    }

    private func finish(_ job: StoredJob, result: TrainingResult, recorder: ProgressRecorder) async throws {
        let modelName = FineTunedModelName.make(job: job)
        // The final weights move to DATA/jobs/<id>/model, where the model is served from.
        let target = services.modelFiles.modelDirectory(of: job.id)
        if let output = result.outputModelDirectory {
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.moveItem(atPath: output, toPath: target)
        }
        await FineTunedModels.register(modelName, job: job, directory: target, services, logger: logger)
        let resultsFile: String
        if job.legacyID != nil {
            let csv = try await LegacyResults.csv(for: job, store: services.store)
            resultsFile = try await publishResults(bytes: Array(csv.utf8), filename: "compiled_results.csv", job: job)
        } else {
            resultsFile = try await publishResults(path: result.resultsCSV, filename: "step_metrics.csv", job: job)
        }
        let now = services.now
        _ = try await services.store.transitionJob(
            id: job.id, tenant: nil, from: [.running], to: .succeeded,
            changes: JobChanges(finishedAt: now, fineTunedModel: modelName, trainedTokens: Int64(result.trainedTokens),
                                resultFiles: [resultsFile], releaseLease: true),
            events: [StoredJobEvent(jobID: job.id, createdAt: now, message: "New fine-tuned model created: \(modelName)"),
                     StoredJobEvent(jobID: job.id, createdAt: now, message: "The job has successfully completed")])
        services.jobSignals.jobsChanged()
        logger.info("job succeeded", metadata: ["job_id": .string(job.id), "model": .string(modelName)])
    }

    /// The results CSV becomes a `fine-tune-results` file of the job's tenant.
    private func publishResults(path: String? = nil, bytes: [UInt8] = [], filename: String, job: StoredJob) async throws -> String {
        let writer = try services.blobs.makeWriter()
        if let path { try writer.append(contentsOf: path) } else { try writer.write(bytes) }
        let file = StoredFile(id: ObjectID.make(ObjectID.file), tenant: job.tenant, filename: filename,
                              purpose: .fineTuneResults, bytes: writer.bytesWritten, createdAt: services.now, expiresAt: nil)
        try writer.commit(to: services.blobs.path(forFile: file.id))
        try await services.store.insertFile(file)
        return file.id
    }

    private func fail(_ job: StoredJob, _ error: JobError) async {
        await JobFailure(error).record(on: job, from: .running, services: services, logger: logger)
    }
}

/// `ft:{base}:{org}:{suffix}:{id}` — the id part is the job id's random tail, so names are unique.
/// Legacy fine-tunes keep their era's `{base}:ft-{org}[:{suffix}]-{YYYY-MM-DD-HH-MM-SS}` (creation time).
/// A model trained further from a fine-tuned one is named after the same base, as OpenAI does.
enum FineTunedModelName {
    /// The base a (possibly fine-tuned) model name starts from: `ft:BASE:…` or `BASE:ft-…`.
    static func base(of model: String) -> String {
        if model.hasPrefix("ft:") {
            return String(model.dropFirst(3).prefix { $0 != ":" })
        }
        if let range = model.range(of: ":ft-") { return String(model[..<range.lowerBound]) }
        return model
    }

    static func make(job: StoredJob) -> String {
        let base = base(of: job.model)
        if job.legacyID != nil {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "UTC")
            formatter.dateFormat = "yyyy-MM-dd-HH-mm-ss"
            let stamp = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(job.createdAt)))
            return "\(base):ft-\(job.tenant.organization)\(job.suffix.map { ":" + $0 } ?? "")-\(stamp)"
        }
        let tail = job.id.dropFirst(ObjectID.fineTuningJob.count).suffix(8)
        return "ft:\(base):\(job.tenant.organization):\(job.suffix ?? ""):\(tail)"
    }

    static func checkpoint(job: StoredJob, step: Int) -> String {
        make(job: job) + ":ckpt-step-\(step)"
    }
}

/// Runs blocking work on a thread of its own and resumes the caller with its result.
enum TrainingThread {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try work() })
            }
            thread.name = "finch-training"
            thread.stackSize = 16 << 20
            thread.start()
        }
    }
}

/// Set once to ask the trainer to stop at its next step.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isRaised: Bool { value.load(ordering: .relaxed) }
    func raise() { value.store(true, ordering: .relaxed) }
}
