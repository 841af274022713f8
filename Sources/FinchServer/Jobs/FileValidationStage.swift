import FinchAPI
import FinchStore
import FinchTraining
import Foundation
import Logging
import NIOPosix

/// `validating_files`: reads the training (and validation) file with the trainer's own parser, so what
/// validates here trains later; fails the job with OpenAI's error codes, or queues it with its
/// `"auto"` hyperparameters resolved. The parser's checks (`DataFileCheck`) are those `finch prepare-data`
/// reports, and a job's error is that report's verdict.
struct FileValidationStage {
    let services: FinchServices
    let logger: Logger

    func validate(_ job: StoredJob) async {
        let now = services.now
        var events = [StoredJobEvent(jobID: job.id, createdAt: now, message: "Validating training file: \(job.trainingFile)")]
        if let validationFile = job.validationFile {
            events.append(StoredJobEvent(jobID: job.id, createdAt: now, message: "Validating validation file: \(validationFile)"))
        }
        try? await services.store.appendEvents(events)

        do {
            for fileID in [job.trainingFile] + (job.validationFile.map { [$0] } ?? []) {
                try await requireFile(fileID, training: fileID == job.trainingFile, job: job)
            }
            let configuration = try await JobTrainingConfiguration.make(for: job, services: services)
            // The trainer's own reader and "auto" rules: what validates here is what trains later.
            let plan = try await NIOThreadPool.singleton.runIfActive { try Trainer.plan(configuration) }
            var resolved = job.hyperparameters
            resolved.nEpochs = .value(plan.epochs)
            resolved.batchSize = .value(plan.batchSize)
            resolved.learningRateMultiplier = .value((plan.learningRateMultiplier * 1000).rounded() / 1000)
            let queued = try await services.store.transitionJob(
                id: job.id, tenant: nil, from: [.validatingFiles], to: .queued,
                changes: JobChanges(hyperparameters: resolved, releaseLease: true),
                events: [StoredJobEvent(jobID: job.id, createdAt: services.now,
                                        message: "Files validated, moving job to queued state")])
            let position = try await services.store.queuePosition(jobID: queued.id)
            try await services.store.appendEvents([StoredJobEvent(
                jobID: job.id, createdAt: services.now,
                message: "Job enqueued. Waiting for jobs ahead to complete. Queue number: \(max(position - 1, 0)).")])
            services.jobSignals.jobsChanged()
        } catch let error as DataValidationError {
            await fail(job, JobError(code: error.code, message: error.jobMessage, param: error.param))
        } catch let failure as JobFailure {
            await fail(job, failure.error)
        } catch StoreError.stateConflict {
            // Cancelled while we read the files: nothing more to do.
        } catch {
            logger.error("file validation failed unexpectedly", metadata: ["job_id": .string(job.id), "error": "\(error)"])
            await fail(job, JobError(code: "internal_error", message: "The files could not be validated: \(error)", param: nil))
        }
    }

    private func requireFile(_ fileID: String, training: Bool, job: StoredJob) async throws {
        guard try await services.store.file(id: fileID, tenant: job.tenant, now: services.now) != nil else {
            throw JobFailure(JobError(code: training ? "invalid_training_file" : "invalid_validation_file",
                                      message: "The file \(fileID) no longer exists.",
                                      param: training ? "training_file" : "validation_file"))
        }
    }

    private func fail(_ job: StoredJob, _ error: JobError) async {
        await JobFailure(error).record(on: job, from: .validatingFiles, services: services, logger: logger)
    }
}

/// A reason to fail a job, already in the job's error shape.
struct JobFailure: Error {
    let error: JobError
    init(_ error: JobError) { self.error = error }

    /// Fails `job` if it is still in `stage`, with the error as its last event.
    func record(on job: StoredJob, from stage: JobStatus, services: FinchServices, logger: Logger) async {
        do {
            _ = try await services.store.transitionJob(
                id: job.id, tenant: nil, from: [stage], to: .failed,
                changes: JobChanges(error: error, finishedAt: services.now, releaseLease: true),
                events: [StoredJobEvent(jobID: job.id, createdAt: services.now, level: .error, message: error.message)])
            services.jobSignals.jobsChanged()
        } catch {
            logger.error("could not fail job", metadata: ["job_id": .string(job.id), "error": "\(error)"])
        }
    }
}
