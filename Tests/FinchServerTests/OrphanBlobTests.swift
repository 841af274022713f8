import FinchServer
import Foundation
import Logging
import Testing

/// The start-up sweep runs while the server already takes uploads, and a file's blob is renamed into
/// place before its row is committed: a young blob without a row may be an upload in flight.
@Suite("Orphan blobs removed at start")
struct OrphanBlobTests {
    @Test("a blob without a row is removed only when it is older than a minute")
    func onlyOldOrphans() async throws {
        let server = try TestServer()
        let blobs = server.services.blobs
        let fresh = blobs.path(forFile: "file-fresh"), old = blobs.path(forFile: "file-old")
        for path in [fresh, old] { #expect(FileManager.default.createFile(atPath: path, contents: Data("{}\n".utf8))) }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: old)

        await ExpirySweeper(services: server.services, logger: Logger(label: "test")).removeOrphans()
        #expect(FileManager.default.fileExists(atPath: fresh))
        #expect(!FileManager.default.fileExists(atPath: old))
    }
}
