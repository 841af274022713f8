import FinchAPI
import GRDB

extension SQLiteStore {
    public func insertUpload(_ upload: StoredUpload) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO upload (id, organization, project, filename, purpose, bytes, mime_type, created_at, expires_at,
                                        status, file_expires_after_seconds, file_id)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [upload.id, upload.tenant.organization, upload.tenant.project, upload.filename,
                            upload.purpose.rawValue, upload.bytes, upload.mimeType, upload.createdAt, upload.expiresAt,
                            upload.status.rawValue, upload.fileExpiresAfterSeconds, upload.fileID])
        }
    }

    public func upload(id: String, tenant: Tenant) async throws -> StoredUpload? {
        try await pool.read { db in try Self.fetchUpload(id: id, tenant: tenant, in: db) }
    }

    public func insertUploadPart(_ part: StoredUploadPart, now: Int64) async throws {
        try await pool.write { db in
            guard let upload = try Self.fetchUpload(id: part.uploadID, tenant: nil, in: db) else {
                throw StoreError.stateConflict("upload \(part.uploadID) does not exist")
            }
            let status = upload.status(at: now)
            guard status == .pending else {
                throw StoreError.stateConflict("Cannot add a part to an Upload with status '\(status.rawValue)'.")
            }
            try db.execute(sql: "INSERT INTO upload_part (id, upload_id, created_at, bytes) VALUES (?, ?, ?, ?)",
                           arguments: [part.id, part.uploadID, part.createdAt, part.bytes])
        }
    }

    public func uploadParts(uploadID: String) async throws -> [StoredUploadPart] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM upload_part WHERE upload_id = ? ORDER BY seq", arguments: [uploadID])
                .map { StoredUploadPart(id: $0["id"], uploadID: $0["upload_id"], createdAt: $0["created_at"], bytes: $0["bytes"]) }
        }
    }

    public func completeUpload(id: String, file: StoredFile, now: Int64) async throws -> StoredUpload {
        try await pool.write { db in
            guard var upload = try Self.fetchUpload(id: id, tenant: file.tenant, in: db) else {
                throw StoreError.stateConflict("upload \(id) does not exist")
            }
            let status = upload.status(at: now)
            guard status == .pending else {
                throw StoreError.stateConflict("Cannot complete an Upload with status '\(status.rawValue)'.")
            }
            try Self.insert(file, in: db)
            try db.execute(sql: "UPDATE upload SET status = 'completed', file_id = ? WHERE id = ?", arguments: [file.id, id])
            upload.status = .completed
            upload.fileID = file.id
            return upload
        }
    }

    public func finishUpload(id: String, tenant: Tenant, as newStatus: UploadStatus, now: Int64) async throws -> StoredUpload {
        try await pool.write { db in
            guard var upload = try Self.fetchUpload(id: id, tenant: tenant, in: db) else {
                throw StoreError.stateConflict("upload \(id) does not exist")
            }
            // An expired upload may still be marked expired by the sweeper; a client cannot cancel it.
            let current = upload.status(at: now)
            guard upload.status == .pending, current == .pending || newStatus == .expired else {
                throw StoreError.stateConflict("Cannot cancel an Upload with status '\(current.rawValue)'.")
            }
            try db.execute(sql: "UPDATE upload SET status = ? WHERE id = ?", arguments: [newStatus.rawValue, id])
            upload.status = newStatus
            return upload
        }
    }

    public func expiredPendingUploads(now: Int64, limit: Int) async throws -> [StoredUpload] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM upload WHERE status = 'pending' AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                arguments: [now, limit]
            ).map(Self.storedUpload)
        }
    }

    public func allUploadIDs() async throws -> Set<String> {
        try await pool.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM upload")) }
    }

    static func fetchUpload(id: String, tenant: Tenant?, in db: Database) throws -> StoredUpload? {
        let row: Row?
        if let tenant {
            row = try Row.fetchOne(db, sql: "SELECT * FROM upload WHERE id = ? AND organization = ? AND project = ?",
                                   arguments: [id, tenant.organization, tenant.project])
        } else {
            row = try Row.fetchOne(db, sql: "SELECT * FROM upload WHERE id = ?", arguments: [id])
        }
        return row.map(storedUpload)
    }

    static func storedUpload(_ row: Row) -> StoredUpload {
        StoredUpload(
            id: row["id"], tenant: row.tenant, filename: row["filename"],
            purpose: FilePurpose(rawValue: row["purpose"]) ?? .userData, bytes: row["bytes"], mimeType: row["mime_type"],
            createdAt: row["created_at"], expiresAt: row["expires_at"],
            status: UploadStatus(rawValue: row["status"]) ?? .pending,
            fileExpiresAfterSeconds: row["file_expires_after_seconds"], fileID: row["file_id"])
    }
}
