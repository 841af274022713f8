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

        return migrator
    }
}
