import FinchAPI
import FinchStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The job worker: a service in the server's ServiceGroup that takes jobs from the durable queue in the
/// store. Every job it works on is leased (`owner`, renewed while it works), so a worker that dies
/// leaves jobs that another — or this one after a restart — takes over when the lease runs out
/// (DESIGN §6: the same design runs on PostgreSQL with many workers).
///
/// Two stages: file validation (`validating_files → queued | failed`, quick, one at a time) and
/// training (`queued → running → …`, up to `maxConcurrentJobs` at once, each on its own thread).
package struct JobWorker: Service {
    package let services: FinchServices
    package let logger: Logger
    package let owner = "worker-" + UUID().uuidString.prefix(8).lowercased()
    /// Seconds a lease lasts without renewal.
    package var leaseSeconds: Int64 = 15

    package init(services: FinchServices, logger: Logger) {
        self.services = services
        self.logger = logger
    }

    package func run() async throws {
        await FineTunedModels.registerAll(services, logger: logger)
        let training = RunningCount()
        await withDiscardingTaskGroup { group in
            var seen = services.jobSignals.current
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                var worked = await workOnce()
                if training.value < services.configuration.maxConcurrentJobs, let job = await claimForTraining() {
                    training.add(1)
                    worked = true
                    let stage = stage
                    let signals = services.jobSignals
                    group.addTask {
                        await stage.train(job)
                        training.add(-1)
                        signals.jobsChanged()
                    }
                }
                if !worked {
                    await services.jobSignals.wait(since: seen, timeout: .seconds(1))
                    seen = services.jobSignals.current
                }
            }
        }
    }

    var stage: TrainingStage {
        TrainingStage(services: services, logger: logger, owner: owner, leaseSeconds: leaseSeconds)
    }

    /// Validates one job if any waits; returns whether it did.
    @discardableResult
    package func workOnce() async -> Bool {
        do {
            for job in try await services.store.releaseExpiredLeases(now: services.now) {
                logger.warning("lease expired; job returned to the queue", metadata: ["job_id": .string(job.id)])
            }
            if let job = try await services.store.claimJob(status: .validatingFiles, moveTo: nil, owner: owner,
                                                           leaseUntil: services.now + leaseSeconds) {
                await FileValidationStage(services: services, logger: logger).validate(job)
                return true
            }
        } catch {
            logger.error("job worker step failed", metadata: ["error": "\(error)"])
        }
        return false
    }

    /// The oldest queued job, now `running` and leased to this worker.
    package func claimForTraining() async -> StoredJob? {
        do {
            return try await services.store.claimJob(status: .queued, moveTo: .running, owner: owner,
                                                     leaseUntil: services.now + leaseSeconds)
        } catch {
            logger.error("could not claim a queued job", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Trains one job to its end (for tests and tools that drive the worker step by step).
    package func trainOnce() async -> Bool {
        guard let job = await claimForTraining() else { return false }
        await stage.train(job)
        return true
    }
}

/// How many trainings run now.
final class RunningCount: Sendable {
    private let count = Atomic<Int>(0)
    var value: Int { count.load(ordering: .acquiring) }
    func add(_ delta: Int) { count.add(delta, ordering: .acquiringAndReleasing) }
}
