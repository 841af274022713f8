import FinchAPI
import GRDB

extension SQLiteStore {
    public func insertFile(_ file: StoredFile) async throws {
        try await pool.write { db in try Self.insert(file, in: db) }
    }

    static func insert(_ file: StoredFile, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO file (id, organization, project, filename, purpose, bytes, created_at, expires_at, status, status_details)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [file.id, file.tenant.organization, file.tenant.project, file.filename, file.purpose.rawValue,
                        file.bytes, file.createdAt, file.expiresAt, file.status.rawValue, file.statusDetails])
    }

    public func file(id: String, tenant: Tenant, now: Int64) async throws -> StoredFile? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM file WHERE id = ? AND organization = ? AND project = ? AND \(Self.unexpired)",
                arguments: [id, tenant.organization, tenant.project, now]
            ).map(Self.storedFile)
        }
    }

    public func listFiles(tenant: Tenant, purpose: FilePurpose?, order: ListOrder, after: String?, limit: Int,
                          now: Int64) async throws -> Page<StoredFile> {
        try await pool.read { db in
            var conditions = ["organization = ?", "project = ?", Self.unexpired]
            var arguments: StatementArguments = [tenant.organization, tenant.project, now]
            if let purpose {
                conditions.append("purpose = ?")
                _ = arguments.append(contentsOf: [purpose.rawValue])
            }
            if let after {
                guard let seq = try Int64.fetchOne(
                    db, sql: "SELECT seq FROM file WHERE id = ? AND organization = ? AND project = ?",
                    arguments: [after, tenant.organization, tenant.project])
                else { throw StoreError.unknownCursor(after) }
                conditions.append(order == .descending ? "seq < ?" : "seq > ?")
                _ = arguments.append(contentsOf: [seq])
            }
            _ = arguments.append(contentsOf: [limit + 1])
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT * FROM file WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq \(order == .descending ? "DESC" : "ASC") LIMIT ?",
                arguments: arguments)
            return Page(items: rows.prefix(limit).map(Self.storedFile), hasMore: rows.count > limit)
        }
    }

    public func deleteFile(id: String, tenant: Tenant) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM file WHERE id = ? AND organization = ? AND project = ?",
                           arguments: [id, tenant.organization, tenant.project])
            return db.changesCount > 0
        }
    }

    public func expiredFiles(now: Int64, limit: Int) async throws -> [StoredFile] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM file WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                arguments: [now, limit]
            ).map(Self.storedFile)
        }
    }

    public func allFileIDs() async throws -> Set<String> {
        try await pool.read { db in Set(try String.fetchAll(db, sql: "SELECT id FROM file")) }
    }

    /// A file past its expiry is gone for clients even before the sweeper removes it.
    static let unexpired = "(expires_at IS NULL OR expires_at > ?)"

    static func storedFile(_ row: Row) -> StoredFile {
        StoredFile(
            id: row["id"], tenant: row.tenant, filename: row["filename"],
            purpose: FilePurpose(rawValue: row["purpose"]) ?? .userData,  // the schema's CHECK admits only known values
            bytes: row["bytes"], createdAt: row["created_at"], expiresAt: row["expires_at"],
            status: FileStatus(rawValue: row["status"]) ?? .processed, statusDetails: row["status_details"])
    }
}
