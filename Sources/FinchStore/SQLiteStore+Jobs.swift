import FinchAPI
import Foundation
import GRDB

extension SQLiteStore {
    public func insertJob(_ job: StoredJob, events: [StoredJobEvent]) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job (id, organization, project, model, training_file, validation_file, status, created_at, seed,
                                     suffix, hyperparameters, method, integrations, metadata, finch, result_files,
                                     legacy_id, prompt_loss_weight, classification)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [job.id, job.tenant.organization, job.tenant.project, job.model, job.trainingFile, job.validationFile,
                            job.status.rawValue, job.createdAt, job.seed, job.suffix, try JSONColumn.text(job.hyperparameters),
                            try JSONColumn.text(job.method), try JSONColumn.text(job.integrations),
                            try job.metadata.map(JSONColumn.text), try job.finch.map(JSONColumn.text),
                            try JSONColumn.text(job.resultFiles), job.legacyID, job.promptLossWeight,
                            try job.classification.map(JSONColumn.text)])
            try Self.insert(events, in: db)
        }
    }

    public func job(id: String, tenant: Tenant?) async throws -> StoredJob? {
        try await pool.read { db in try Self.fetchJob(id: id, tenant: tenant, in: db) }
    }

    public func succeededJob(fineTunedModel: String, tenant: Tenant) async throws -> StoredJob? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: """
                    SELECT * FROM job WHERE fine_tuned_model = ? AND status = 'succeeded' AND model_deleted_at IS NULL
                                        AND organization = ? AND project = ?
                    """,
                arguments: [fineTunedModel, tenant.organization, tenant.project]
            ).map(Self.storedJob)
        }
    }

    public func job(legacyID: String, tenant: Tenant) async throws -> StoredJob? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM job WHERE legacy_id = ? AND organization = ? AND project = ?",
                             arguments: [legacyID, tenant.organization, tenant.project]).map(Self.storedJob)
        }
    }

    public func legacyJobs(tenant: Tenant) async throws -> [StoredJob] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM job WHERE legacy_id IS NOT NULL AND organization = ? AND project = ? ORDER BY seq
                """, arguments: [tenant.organization, tenant.project]).map(Self.storedJob)
        }
    }

    public func fineTunedModels(tenant: Tenant?) async throws -> [(job: StoredJob, checkpoints: [StoredCheckpoint])] {
        try await pool.read { db in
            var sql = "SELECT * FROM job WHERE status = 'succeeded' AND model_deleted_at IS NULL"
            var arguments: StatementArguments = []
            if let tenant {
                sql += " AND organization = ? AND project = ?"
                arguments = [tenant.organization, tenant.project]
            }
            let jobs = try Row.fetchAll(db, sql: sql + " ORDER BY seq DESC", arguments: arguments).map(Self.storedJob)
            return try jobs.map { job in
                let checkpoints = try Row.fetchAll(db, sql: "SELECT * FROM job_checkpoint WHERE job_id = ? ORDER BY seq DESC",
                                                   arguments: [job.id]).map(Self.storedCheckpoint)
                return (job, checkpoints)
            }
        }
    }

    public func checkpoint(modelName: String, tenant: Tenant) async throws -> StoredCheckpoint? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: """
                SELECT c.* FROM job_checkpoint c JOIN job j ON j.id = c.job_id
                WHERE c.model_name = ? AND j.organization = ? AND j.project = ?
                """, arguments: [modelName, tenant.organization, tenant.project]).map(Self.storedCheckpoint)
        }
    }

    public func deleteModel(named name: String, tenant: Tenant, now: Int64) async throws -> DeletedModel? {
        try await pool.write { db in
            if let row = try Row.fetchOne(db, sql: """
                SELECT * FROM job WHERE fine_tuned_model = ? AND model_deleted_at IS NULL AND organization = ? AND project = ?
                """, arguments: [name, tenant.organization, tenant.project]) {
                var job = try Self.storedJob(row)
                try db.execute(sql: "UPDATE job SET model_deleted_at = ? WHERE id = ?", arguments: [now, job.id])
                job.modelDeletedAt = now
                return .fineTuned(job)
            }
            if let row = try Row.fetchOne(db, sql: """
                SELECT c.* FROM job_checkpoint c JOIN job j ON j.id = c.job_id
                WHERE c.model_name = ? AND j.organization = ? AND j.project = ?
                """, arguments: [name, tenant.organization, tenant.project]) {
                let checkpoint = Self.storedCheckpoint(row)
                try db.execute(sql: "DELETE FROM job_checkpoint WHERE id = ?", arguments: [checkpoint.id])
                return .checkpoint(checkpoint)
            }
            return nil
        }
    }

    public func listJobs(tenant: Tenant, after: String?, limit: Int, metadata: [String: String]) async throws -> Page<StoredJob> {
        try await pool.read { db in
            var conditions = ["organization = ?", "project = ?"]
            var arguments: StatementArguments = [tenant.organization, tenant.project]
            for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
                conditions.append("json_extract(metadata, ?) = ?")
                _ = arguments.append(contentsOf: [JSONColumn.path(key), value])
            }
            if let after {
                guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM job WHERE id = ? AND organization = ? AND project = ?",
                                                   arguments: [after, tenant.organization, tenant.project])
                else { throw StoreError.unknownCursor(after) }
                conditions.append("seq < ?")
                _ = arguments.append(contentsOf: [seq])
            }
            _ = arguments.append(contentsOf: [limit + 1])
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM job WHERE \(conditions.joined(separator: " AND ")) ORDER BY seq DESC LIMIT ?",
                                        arguments: arguments)
            return Page(items: try rows.prefix(limit).map(Self.storedJob), hasMore: rows.count > limit)
        }
    }

    public func transitionJob(id: String, tenant: Tenant?, from: Set<JobStatus>, to: JobStatus, changes: JobChanges,
                              events: [StoredJobEvent]) async throws -> StoredJob {
        try await pool.write { db in
            guard var job = try Self.fetchJob(id: id, tenant: tenant, in: db) else {
                throw StoreError.stateConflict("No such job: \(id)")
            }
            guard from.contains(job.status) else {
                throw StoreError.stateConflict("Job \(id) is \(job.status.rawValue).")
            }
            job.status = to
            if let error = changes.error { job.error = error }
            if let finishedAt = changes.finishedAt { job.finishedAt = finishedAt }
            if let model = changes.fineTunedModel { job.fineTunedModel = model }
            if let tokens = changes.trainedTokens { job.trainedTokens = tokens }
            if let files = changes.resultFiles { job.resultFiles = files }
            if let hyperparameters = changes.hyperparameters { job.hyperparameters = hyperparameters }
            if let estimate = changes.estimatedFinish { job.estimatedFinish = estimate }
            if changes.releaseLease {
                job.leaseOwner = nil
                job.leaseExpiresAt = nil
            }
            try db.execute(
                sql: """
                    UPDATE job SET status = ?, error = ?, finished_at = ?, fine_tuned_model = ?, trained_tokens = ?,
                                   result_files = ?, hyperparameters = ?, estimated_finish = ?, lease_owner = ?, lease_expires_at = ?
                    WHERE id = ?
                    """,
                arguments: [job.status.rawValue, try job.error.map(JSONColumn.text), job.finishedAt, job.fineTunedModel,
                            job.trainedTokens, try JSONColumn.text(job.resultFiles), try JSONColumn.text(job.hyperparameters),
                            job.estimatedFinish, job.leaseOwner, job.leaseExpiresAt, id])
            try Self.insert(events, in: db)
            return job
        }
    }

    public func deleteJob(id: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM job WHERE id = ?", arguments: [id]) }
    }

    public func appendEvents(_ events: [StoredJobEvent]) async throws {
        try await pool.write { db in try Self.insert(events, in: db) }
    }

    public func events(jobID: String, after: String?, limit: Int) async throws -> Page<StoredJobEvent> {
        try await pool.read { db in
            let page = try Self.newestFirst(table: "job_event", jobID: jobID, after: after, limit: limit, in: db)
            return Page(items: try page.items.map(Self.storedEvent), hasMore: page.hasMore)
        }
    }

    public func insertCheckpoint(_ checkpoint: StoredCheckpoint, keep: Int) async throws -> [StoredCheckpoint] {
        try await pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO job_checkpoint (id, job_id, created_at, model_name, step_number, metrics, directory)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [checkpoint.id, checkpoint.jobID, checkpoint.createdAt, checkpoint.modelName, checkpoint.stepNumber,
                            try JSONColumn.text(checkpoint.metrics), checkpoint.directory])
            let stale = try Row.fetchAll(
                db, sql: "SELECT * FROM job_checkpoint WHERE job_id = ? ORDER BY seq DESC LIMIT -1 OFFSET ?",
                arguments: [checkpoint.jobID, keep]
            ).map(Self.storedCheckpoint)
            for old in stale { try db.execute(sql: "DELETE FROM job_checkpoint WHERE id = ?", arguments: [old.id]) }
            return stale.reversed()
        }
    }

    public func checkpoints(jobID: String, after: String?, limit: Int) async throws -> Page<StoredCheckpoint> {
        try await pool.read { db in
            let page = try Self.newestFirst(table: "job_checkpoint", jobID: jobID, after: after, limit: limit, in: db)
            return Page(items: page.items.map(Self.storedCheckpoint), hasMore: page.hasMore)
        }
    }

    public func queuePosition(jobID: String) async throws -> Int {
        try await pool.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(*) FROM job WHERE status = 'queued' AND seq <= (SELECT seq FROM job WHERE id = ?)
                """, arguments: [jobID]) ?? 0
        }
    }

    public func claimJob(status: JobStatus, moveTo: JobStatus?, owner: String, leaseUntil: Int64) async throws -> StoredJob? {
        try await pool.write { db in
            guard let id = try String.fetchOne(
                db, sql: "SELECT id FROM job WHERE status = ? AND lease_owner IS NULL ORDER BY seq LIMIT 1",
                arguments: [status.rawValue])
            else { return nil }
            try db.execute(
                sql: "UPDATE job SET status = ?, lease_owner = ?, lease_expires_at = ?, attempts = attempts + ? WHERE id = ?",
                arguments: [(moveTo ?? status).rawValue, owner, leaseUntil, moveTo == .running ? 1 : 0, id])
            return try Self.fetchJob(id: id, tenant: nil, in: db)
        }
    }

    public func renewLease(jobID: String, owner: String, until: Int64) async throws -> Bool {
        try await pool.write { db in
            try db.execute(sql: "UPDATE job SET lease_expires_at = ? WHERE id = ? AND lease_owner = ?",
                           arguments: [until, jobID, owner])
            return db.changesCount > 0
        }
    }

    public func releaseExpiredLeases(now: Int64) async throws -> [StoredJob] {
        try await pool.write { db in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM job WHERE lease_expires_at IS NOT NULL AND lease_expires_at <= ?",
                                          arguments: [now])
            for id in ids {
                try db.execute(sql: """
                    UPDATE job SET status = CASE status WHEN 'running' THEN 'queued' ELSE status END,
                                   lease_owner = NULL, lease_expires_at = NULL
                    WHERE id = ?
                    """, arguments: [id])
            }
            return try ids.compactMap { try Self.fetchJob(id: $0, tenant: nil, in: db) }
        }
    }

    // MARK: Rows

    /// One page of a job's rows in `table` (events or checkpoints), newest first, after the row `after`.
    static func newestFirst(table: String, jobID: String, after: String?, limit: Int, in db: Database) throws -> (items: [Row], hasMore: Bool) {
        var sql = "SELECT * FROM \(table) WHERE job_id = ?"
        var arguments: StatementArguments = [jobID]
        if let after {
            guard let seq = try Int64.fetchOne(db, sql: "SELECT seq FROM \(table) WHERE id = ? AND job_id = ?",
                                               arguments: [after, jobID])
            else { throw StoreError.unknownCursor(after) }
            sql += " AND seq < ?"
            _ = arguments.append(contentsOf: [seq])
        }
        _ = arguments.append(contentsOf: [limit + 1])
        let rows = try Row.fetchAll(db, sql: sql + " ORDER BY seq DESC LIMIT ?", arguments: arguments)
        return (Array(rows.prefix(limit)), rows.count > limit)
    }

    static func storedEvent(_ row: Row) throws -> StoredJobEvent {
        StoredJobEvent(id: row["id"], jobID: row["job_id"], createdAt: row["created_at"],
                       level: FineTuningJobEvent.Level(rawValue: row["level"]) ?? .info,
                       type: FineTuningJobEvent.Kind(rawValue: row["type"]) ?? .message, message: row["message"],
                       data: try (row["data"] as String?).map { try JSONColumn.value(JSONValue.self, $0) })
    }

    static func insert(_ events: [StoredJobEvent], in db: Database) throws {
        for event in events {
            try db.execute(
                sql: "INSERT INTO job_event (id, job_id, created_at, level, type, message, data) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [event.id, event.jobID, event.createdAt, event.level.rawValue, event.type.rawValue, event.message,
                            try event.data.map(JSONColumn.text)])
        }
    }

    static func fetchJob(id: String, tenant: Tenant?, in db: Database) throws -> StoredJob? {
        let row: Row?
        if let tenant {
            row = try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ? AND organization = ? AND project = ?",
                                   arguments: [id, tenant.organization, tenant.project])
        } else {
            row = try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id])
        }
        return try row.map(storedJob)
    }

    static func storedJob(_ row: Row) throws -> StoredJob {
        var job = StoredJob(
            id: row["id"], tenant: row.tenant, model: row["model"], trainingFile: row["training_file"],
            validationFile: row["validation_file"], status: JobStatus(rawValue: row["status"]) ?? .failed,
            createdAt: row["created_at"], seed: row["seed"], suffix: row["suffix"],
            hyperparameters: try JSONColumn.value(Hyperparameters.self, row["hyperparameters"]),
            method: try JSONColumn.value(FineTuneMethod.self, row["method"]),
            integrations: try JSONColumn.value([JSONValue].self, row["integrations"]),
            metadata: try (row["metadata"] as String?).map { try JSONColumn.value([String: String].self, $0) },
            finch: try (row["finch"] as String?).map { try JSONColumn.value(FinchTrainingOptions.self, $0) })
        job.finishedAt = row["finished_at"]
        job.fineTunedModel = row["fine_tuned_model"]
        job.trainedTokens = row["trained_tokens"]
        job.error = try (row["error"] as String?).map { try JSONColumn.value(JobError.self, $0) }
        job.resultFiles = try JSONColumn.value([String].self, row["result_files"])
        job.estimatedFinish = row["estimated_finish"]
        job.leaseOwner = row["lease_owner"]
        job.leaseExpiresAt = row["lease_expires_at"]
        job.attempts = row["attempts"]
        job.modelDeletedAt = row["model_deleted_at"]
        job.legacyID = row["legacy_id"]
        job.promptLossWeight = row["prompt_loss_weight"]
        job.classification = try (row["classification"] as String?).map { try JSONColumn.value(JSONValue.self, $0) }
        return job
    }

    static func storedCheckpoint(_ row: Row) -> StoredCheckpoint {
        StoredCheckpoint(id: row["id"], jobID: row["job_id"], createdAt: row["created_at"], modelName: row["model_name"],
                         stepNumber: row["step_number"],
                         metrics: (try? JSONColumn.value([String: Double].self, row["metrics"])) ?? [:],
                         directory: row["directory"])
    }
}

/// JSON text columns.
enum JSONColumn {
    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }

    static func value<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    /// A JSON path naming one object key, quoted so any key is safe (`$."my key"`).
    static func path(_ key: String) -> String {
        "$.\"" + key.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
