import FinchAPI
import FinchStore
import Foundation
import Logging
import ServiceLifecycle

/// The job worker: a service in the server's ServiceGroup that takes jobs from the durable queue in the
/// store. Every job it works on is leased (`owner`, renewed while it works), so a worker that dies
/// leaves jobs that another — or this one after a restart — takes over when the lease runs out
/// (DESIGN §6: the same design runs on PostgreSQL with many workers).
///
/// Stage 1, here: file validation (`validating_files → queued | failed`), with `"auto"` hyperparameters
/// resolved. Stage 2 (training `queued → running → succeeded`) runs the engine's trainer.
package struct JobWorker: Service {
    package let services: FinchServices
    package let logger: Logger
    package let owner = "worker-" + UUID().uuidString.prefix(8).lowercased()
    /// Seconds a lease lasts without renewal.
    package var leaseSeconds: Int64 = 30

    package init(services: FinchServices, logger: Logger) {
        self.services = services
        self.logger = logger
    }

    package func run() async throws {
        var seen = services.jobSignals.current
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worked = await workOnce()
            if !worked {
                await services.jobSignals.wait(since: seen, timeout: .seconds(1))
                seen = services.jobSignals.current
            }
        }
    }

    /// Does one unit of work if there is any; returns whether it did.
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
}
