import FinchAPI
import FinchStore
import Foundation
import Testing

@Suite("SQLite store")
struct SQLiteStoreTests {
    let directory = NSTemporaryDirectory() + "finch-store-" + UUID().uuidString
    let tenant = Tenant(organization: "org-a", project: "proj-1")

    func open() throws -> SQLiteStore {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try SQLiteStore(path: directory + "/finch.sqlite")
    }

    func file(_ id: String, at time: Int64, expiresAt: Int64? = nil, purpose: FilePurpose = .fineTune) -> StoredFile {
        StoredFile(id: id, tenant: tenant, filename: "\(id).jsonl", purpose: purpose, bytes: 10, createdAt: time, expiresAt: expiresAt)
    }

    @Test("migrations are named, applied in order, and reopening applies nothing twice")
    func migrations() throws {
        let store = try open()
        let applied = try store.appliedMigrations()
        #expect(applied == ["2026-11-21 files", "2026-11-21 uploads", "2026-11-21 jobs", "2026-11-21 model deletion",
                            "2026-11-21 legacy fine-tunes"])
        let reopened = try SQLiteStore(path: directory + "/finch.sqlite")
        #expect(try reopened.appliedMigrations() == applied)
    }

    @Test("files created in the same second keep their creation order in both directions")
    func ordering() async throws {
        let store = try open()
        for index in 0..<5 { try await store.insertFile(file("file-\(index)", at: 100)) }
        let descending = try await store.listFiles(tenant: tenant, purpose: nil, order: .descending, after: "file-3", limit: 2, now: 100)
        #expect(descending.items.map(\.id) == ["file-2", "file-1"])
        #expect(descending.hasMore)
        let ascending = try await store.listFiles(tenant: tenant, purpose: nil, order: .ascending, after: "file-3", limit: 2, now: 100)
        #expect(ascending.items.map(\.id) == ["file-4"])
        #expect(!ascending.hasMore)
    }

    @Test("the schema refuses what the API never produces")
    func constraints() async throws {
        let store = try open()
        await #expect(throws: (any Error).self) { try await store.insertFile(file("not-a-file-id", at: 1)) }
        await #expect(throws: (any Error).self) { try await store.insertFile(file("file-x", at: 10, expiresAt: 5)) }
        try await store.insertFile(file("file-dup", at: 1))
        await #expect(throws: (any Error).self) { try await store.insertFile(file("file-dup", at: 2)) }
        var nobody = file("file-nobody", at: 1)
        nobody.tenant = Tenant(organization: "", project: "p")
        await #expect(throws: (any Error).self) { try await store.insertFile(nobody) }
    }

    @Test("an expired file is invisible at once and listed for the sweeper")
    func expiry() async throws {
        let store = try open()
        try await store.insertFile(file("file-e", at: 100, expiresAt: 200))
        #expect(try await store.file(id: "file-e", tenant: tenant, now: 199) != nil)
        #expect(try await store.file(id: "file-e", tenant: tenant, now: 200) == nil)
        #expect(try await store.expiredFiles(now: 200, limit: 10).map(\.id) == ["file-e"])
    }

    @Test("completing an upload inserts the file and changes state in one transaction, once")
    func completeUpload() async throws {
        let store = try open()
        let upload = StoredUpload(id: "upload_1", tenant: tenant, filename: "a.jsonl", purpose: .fineTune, bytes: 10,
                                  mimeType: "text/jsonl", createdAt: 100, expiresAt: 3700)
        try await store.insertUpload(upload)
        try await store.insertUploadPart(StoredUploadPart(id: "part_1", uploadID: "upload_1", createdAt: 101, bytes: 10), now: 101)
        let done = try await store.completeUpload(id: "upload_1", file: file("file-u", at: 102), now: 102)
        #expect(done.status == .completed && done.fileID == "file-u")
        await #expect(throws: StoreError.self) {
            _ = try await store.completeUpload(id: "upload_1", file: file("file-v", at: 103), now: 103)
        }
        #expect(try await store.file(id: "file-v", tenant: tenant, now: 103) == nil)  // rolled back
        await #expect(throws: StoreError.self) {
            try await store.insertUploadPart(StoredUploadPart(id: "part_2", uploadID: "upload_1", createdAt: 104, bytes: 1), now: 104)
        }
    }
}

@Suite("Blob store")
struct BlobStoreTests {
    let root = NSTemporaryDirectory() + "finch-blobs-" + UUID().uuidString

    @Test("a blob is invisible until committed, and an aborted or dropped writer leaves nothing")
    func atomicity() throws {
        let blobs = try LocalBlobStore(root: root)
        let writer = try blobs.makeWriter()
        try writer.write(Array("hello".utf8))
        #expect(!blobs.fileExists(id: "file-a"))
        try writer.commit(to: blobs.path(forFile: "file-a"))
        #expect(try String(contentsOfFile: blobs.path(forFile: "file-a"), encoding: .utf8) == "hello")

        let aborted = try blobs.makeWriter()
        try aborted.write(Array("partial".utf8))
        aborted.abort()
        do {
            let dropped = try blobs.makeWriter()
            try dropped.write(Array("dropped".utf8))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
    }

    @Test("temporaries left by a crash are removed when the store opens")
    func crashLeftovers() throws {
        _ = try LocalBlobStore(root: root)
        #expect(FileManager.default.createFile(atPath: root + "/tmp/leftover", contents: Data("x".utf8)))
        _ = try LocalBlobStore(root: root)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/tmp").isEmpty)
    }

    @Test("ids never escape the blob directory")
    func safeNames() throws {
        let blobs = try LocalBlobStore(root: root)
        #expect(blobs.path(forFile: "../../etc/passwd") == root + "/files/______etc_passwd")
    }
}
