import FinchAPI

/// Errors of the store that callers turn into API errors.
public enum StoreError: Error, Sendable, Equatable {
    /// The `after` cursor names no object of this tenant.
    case unknownCursor(String)
    /// A state change was asked of an object not in the state it requires (e.g. completing a cancelled upload).
    case stateConflict(String)
    /// The database file could not be opened or migrated.
    case unavailable(String)
}

/// The metadata store: every object Finch keeps, scoped by tenant. SQLite now (`SQLiteStore`);
/// PostgreSQL later (DESIGN §6), so callers depend on this protocol only.
///
/// Time is passed in (`now`, unix seconds) so expiry is decided by the caller's clock and tests control it.
public protocol MetadataStore: JobStore {
    // MARK: Files
    func insertFile(_ file: StoredFile) async throws
    /// The file, unless it does not exist, belongs to another tenant, or has expired.
    func file(id: String, tenant: Tenant, now: Int64) async throws -> StoredFile?
    /// Files of `tenant`, optionally of one purpose, in creation order, starting after the cursor.
    func listFiles(tenant: Tenant, purpose: FilePurpose?, order: ListOrder, after: String?, limit: Int,
                   now: Int64) async throws -> Page<StoredFile>
    /// Removes the row; returns false when there was none visible to `tenant`.
    func deleteFile(id: String, tenant: Tenant) async throws -> Bool
    /// Files of every tenant whose expiry has passed, oldest first.
    func expiredFiles(now: Int64, limit: Int) async throws -> [StoredFile]
    /// Ids of every file row (for removing orphaned blobs at start-up).
    func allFileIDs() async throws -> Set<String>

    // MARK: Uploads
    func insertUpload(_ upload: StoredUpload) async throws
    func upload(id: String, tenant: Tenant) async throws -> StoredUpload?
    /// Adds a part; throws `stateConflict` unless the upload is pending and unexpired at `now`.
    func insertUploadPart(_ part: StoredUploadPart, now: Int64) async throws
    func uploadParts(uploadID: String) async throws -> [StoredUploadPart]
    /// In one transaction: inserts `file` and marks the pending upload completed with it.
    func completeUpload(id: String, file: StoredFile, now: Int64) async throws -> StoredUpload
    /// Marks a pending upload cancelled (or expired); throws `stateConflict` from any other state.
    func finishUpload(id: String, tenant: Tenant, as status: UploadStatus, now: Int64) async throws -> StoredUpload
    /// Pending uploads of every tenant whose expiry has passed.
    func expiredPendingUploads(now: Int64, limit: Int) async throws -> [StoredUpload]
    /// Ids of every upload row (for removing orphaned part blobs at start-up).
    func allUploadIDs() async throws -> Set<String>
}
