import FinchAPI

/// A file as the store keeps it: the wire object plus its owner.
public struct StoredFile: Sendable, Equatable {
    public var id: String
    public var tenant: Tenant
    public var filename: String
    public var purpose: FilePurpose
    public var bytes: Int64
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var status: FileStatus
    public var statusDetails: String?

    public init(id: String, tenant: Tenant, filename: String, purpose: FilePurpose, bytes: Int64,
                createdAt: Int64, expiresAt: Int64?, status: FileStatus = .processed, statusDetails: String? = nil) {
        self.id = id
        self.tenant = tenant
        self.filename = filename
        self.purpose = purpose
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.status = status
        self.statusDetails = statusDetails
    }

    /// The `file` object the API returns.
    public var object: OpenAIFile {
        OpenAIFile(id: id, bytes: bytes, createdAt: createdAt, expiresAt: expiresAt, filename: filename,
                   purpose: purpose, status: status, statusDetails: statusDetails)
    }
}

/// A multi-part upload in progress or finished.
public struct StoredUpload: Sendable, Equatable {
    public var id: String
    public var tenant: Tenant
    public var filename: String
    public var purpose: FilePurpose
    public var bytes: Int64
    public var mimeType: String
    public var createdAt: Int64
    public var expiresAt: Int64
    public var status: UploadStatus
    /// Expiry policy for the file the upload becomes (`expires_after.seconds`).
    public var fileExpiresAfterSeconds: Int64?
    public var fileID: String?

    public init(id: String, tenant: Tenant, filename: String, purpose: FilePurpose, bytes: Int64, mimeType: String,
                createdAt: Int64, expiresAt: Int64, status: UploadStatus = .pending,
                fileExpiresAfterSeconds: Int64? = nil, fileID: String? = nil) {
        self.id = id
        self.tenant = tenant
        self.filename = filename
        self.purpose = purpose
        self.bytes = bytes
        self.mimeType = mimeType
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.status = status
        self.fileExpiresAfterSeconds = fileExpiresAfterSeconds
        self.fileID = fileID
    }

    /// The status a client sees at `now`: a pending upload past its expiry reads as `expired`.
    public func status(at now: Int64) -> UploadStatus {
        status == .pending && expiresAt <= now ? .expired : status
    }
}

/// One part of an upload; its bytes live in the blob store.
public struct StoredUploadPart: Sendable, Equatable {
    public var id: String
    public var uploadID: String
    public var createdAt: Int64
    public var bytes: Int64

    public init(id: String, uploadID: String, createdAt: Int64, bytes: Int64) {
        self.id = id
        self.uploadID = uploadID
        self.createdAt = createdAt
        self.bytes = bytes
    }
}

/// Sort order of a list, by creation.
public enum ListOrder: String, Sendable {
    case ascending = "asc"
    case descending = "desc"
}

/// One page of a list query.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var hasMore: Bool

    public init(items: [Item], hasMore: Bool) {
        self.items = items
        self.hasMore = hasMore
    }
}
