import GRDB

extension SQLiteStore {
    /// Named, append-only migrations. Never edit one that has shipped: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()

        migrator.registerMigration("2026-11-21 files") { db in
            try db.execute(sql: """
                CREATE TABLE file (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE CHECK (id LIKE 'file-%'),
                    organization TEXT NOT NULL CHECK (organization <> ''),
                    project TEXT NOT NULL CHECK (project <> ''),
                    filename TEXT NOT NULL,
                    purpose TEXT NOT NULL CHECK (purpose IN ('assistants', 'assistants_output', 'batch', 'batch_output',
                        'fine-tune', 'fine-tune-results', 'vision', 'user_data', 'evals')),
                    bytes INTEGER NOT NULL CHECK (bytes >= 0),
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER CHECK (expires_at IS NULL OR expires_at > created_at),
                    status TEXT NOT NULL CHECK (status IN ('uploaded', 'processed', 'error')),
                    status_details TEXT
                );
                CREATE INDEX file_by_tenant ON file (organization, project, seq);
                CREATE INDEX file_by_expiry ON file (expires_at) WHERE expires_at IS NOT NULL;
                """)
        }

        migrator.registerMigration("2026-11-21 uploads") { db in
            try db.execute(sql: """
                CREATE TABLE upload (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE CHECK (id LIKE 'upload_%'),
                    organization TEXT NOT NULL CHECK (organization <> ''),
                    project TEXT NOT NULL CHECK (project <> ''),
                    filename TEXT NOT NULL,
                    purpose TEXT NOT NULL CHECK (purpose IN ('assistants', 'batch', 'fine-tune', 'vision', 'user_data', 'evals')),
                    bytes INTEGER NOT NULL CHECK (bytes >= 0),
                    mime_type TEXT NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL CHECK (expires_at > created_at),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'cancelled', 'expired')),
                    file_expires_after_seconds INTEGER CHECK (file_expires_after_seconds BETWEEN 3600 AND 2592000),
                    file_id TEXT REFERENCES file (id) ON DELETE SET NULL
                );
                CREATE INDEX upload_by_expiry ON upload (expires_at) WHERE status = 'pending';
                CREATE TABLE upload_part (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE CHECK (id LIKE 'part_%'),
                    upload_id TEXT NOT NULL REFERENCES upload (id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    bytes INTEGER NOT NULL CHECK (bytes >= 0)
                );
                CREATE INDEX upload_part_by_upload ON upload_part (upload_id, seq);
                """)
        }

        migrator.registerMigration("2026-11-21 jobs") { db in
            try db.execute(sql: """
                CREATE TABLE job (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE CHECK (id LIKE 'ftjob-%'),
                    organization TEXT NOT NULL CHECK (organization <> ''),
                    project TEXT NOT NULL CHECK (project <> ''),
                    model TEXT NOT NULL CHECK (model <> ''),
                    training_file TEXT NOT NULL,
                    validation_file TEXT,
                    status TEXT NOT NULL CHECK (status IN ('validating_files', 'queued', 'running', 'succeeded', 'failed',
                                                           'cancelled', 'paused')),
                    created_at INTEGER NOT NULL,
                    finished_at INTEGER CHECK (finished_at IS NULL OR finished_at >= created_at),
                    fine_tuned_model TEXT,
                    trained_tokens INTEGER CHECK (trained_tokens IS NULL OR trained_tokens >= 0),
                    seed INTEGER NOT NULL CHECK (seed BETWEEN 0 AND 2147483647),
                    suffix TEXT CHECK (suffix IS NULL OR length(suffix) BETWEEN 1 AND 64),
                    hyperparameters TEXT NOT NULL CHECK (json_valid(hyperparameters)),
                    method TEXT NOT NULL CHECK (json_valid(method)),
                    integrations TEXT NOT NULL CHECK (json_valid(integrations)),
                    metadata TEXT CHECK (metadata IS NULL OR json_valid(metadata)),
                    finch TEXT CHECK (finch IS NULL OR json_valid(finch)),
                    error TEXT CHECK (error IS NULL OR json_valid(error)),
                    result_files TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(result_files)),
                    estimated_finish INTEGER,
                    lease_owner TEXT,
                    lease_expires_at INTEGER,
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL)),
                    CHECK (status <> 'succeeded' OR fine_tuned_model IS NOT NULL),
                    CHECK (status <> 'failed' OR error IS NOT NULL)
                );
                CREATE INDEX job_by_tenant ON job (organization, project, seq);
                CREATE INDEX job_by_status ON job (status, seq);
                CREATE UNIQUE INDEX job_by_model ON job (fine_tuned_model) WHERE fine_tuned_model IS NOT NULL;
                CREATE TABLE job_event (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE CHECK (id LIKE 'ftevent-%'),
                    job_id TEXT NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    level TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
                    type TEXT NOT NULL CHECK (type IN ('message', 'metrics')),
                    message TEXT NOT NULL,
                    data TEXT CHECK (data IS NULL OR json_valid(data))
                );
                CREATE INDEX job_event_by_job ON job_event (job_id, seq);
                CREATE TABLE job_checkpoint (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    id TEXT NOT NULL UNIQUE CHECK (id LIKE 'ftckpt_%'),
                    job_id TEXT NOT NULL REFERENCES job (id) ON DELETE CASCADE,
                    created_at INTEGER NOT NULL,
                    model_name TEXT NOT NULL UNIQUE,
                    step_number INTEGER NOT NULL CHECK (step_number >= 0),
                    metrics TEXT NOT NULL CHECK (json_valid(metrics)),
                    directory TEXT NOT NULL
                );
                CREATE INDEX job_checkpoint_by_job ON job_checkpoint (job_id, seq);
                """)
        }

        migrator.registerMigration("2026-11-21 model deletion") { db in
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN model_deleted_at INTEGER;
                """)
        }

        migrator.registerMigration("2026-11-21 legacy fine-tunes") { db in
            try db.execute(sql: """
                ALTER TABLE job ADD COLUMN legacy_id TEXT CHECK (legacy_id IS NULL OR legacy_id LIKE 'ft-%');
                ALTER TABLE job ADD COLUMN prompt_loss_weight REAL NOT NULL DEFAULT 0.01 CHECK (prompt_loss_weight >= 0);
                ALTER TABLE job ADD COLUMN classification TEXT CHECK (classification IS NULL OR json_valid(classification));
                CREATE UNIQUE INDEX job_by_legacy_id ON job (legacy_id) WHERE legacy_id IS NOT NULL;
                """)
        }

        return migrator
    }
}
