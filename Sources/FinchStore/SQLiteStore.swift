import FinchAPI
import Foundation
import GRDB

/// The embedded store: one SQLite file in WAL mode through GRDB (DESIGN §5).
/// Every multi-statement change runs in one transaction; invariants live in the schema.
public final class SQLiteStore: MetadataStore {
    let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and applies pending migrations.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(10)
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try Self.migrator.migrate(pool)
        } catch {
            throw StoreError.unavailable("cannot open the database at \(path): \(error)")
        }
    }

    /// Names of the migrations applied to this database, in order.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }
}

extension Row {
    /// The tenant columns every scoped table carries.
    var tenant: Tenant { Tenant(organization: self["organization"], project: self["project"]) }
}
