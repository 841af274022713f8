import FinchStore
import Foundation
import Logging
import ServiceLifecycle

/// Removes what has expired: files past `expires_at` (row, then blob) and pending uploads past their
/// hour (marked `expired`, parts removed). Also removes, once at start, blobs whose row is gone
/// (a crash between commit and insert, or between delete and unlink).
package struct ExpirySweeper: Service {
    package let services: FinchServices
    package let logger: Logger

    package init(services: FinchServices, logger: Logger) {
        self.services = services
        self.logger = logger
    }

    package func run() async throws {
        await removeOrphans()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await sweepOnce()
            let interval = services.configuration.sweepIntervalSeconds
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }

    package func sweepOnce() async {
        do {
            let now = services.now
            for file in try await services.store.expiredFiles(now: now, limit: 1000) {
                if try await services.store.deleteFile(id: file.id, tenant: file.tenant) {
                    services.blobs.removeFile(id: file.id)
                    logger.info("file expired", metadata: ["file_id": .string(file.id)])
                }
            }
            for upload in try await services.store.expiredPendingUploads(now: now, limit: 1000) {
                _ = try await services.store.finishUpload(id: upload.id, tenant: upload.tenant, as: .expired, now: now)
                services.blobs.removeUpload(upload.id)
                logger.info("upload expired", metadata: ["upload_id": .string(upload.id)])
            }
        } catch {
            logger.error("expiry sweep failed", metadata: ["error": "\(error)"])
        }
    }

    /// A file blob is renamed into place before its row is committed, and this runs while the server
    /// already takes uploads: a blob written in the last minute may be an upload whose row is being
    /// committed now, so only older blobs without a row are removed.
    package func removeOrphans() async {
        let cutoff = Date().addingTimeInterval(-60)
        do {
            let files = try await services.store.allFileIDs()
            for id in services.blobs.storedFileIDs() where !files.contains(id) {
                let written = (try? FileManager.default.attributesOfItem(atPath: services.blobs.path(forFile: id)))?[.modificationDate]
                guard let written = written as? Date, written < cutoff else { continue }
                services.blobs.removeFile(id: id)
            }
            let uploads = try await services.store.allUploadIDs()
            for id in services.blobs.storedUploadIDs() where !uploads.contains(id) {
                services.blobs.removeUpload(id)
            }
        } catch {
            logger.error("orphan cleanup failed", metadata: ["error": "\(error)"])
        }
    }
}
