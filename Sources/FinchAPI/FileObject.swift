/// What a file is for. Uploads accept the input purposes; the output purposes are set by Finch.
public enum FilePurpose: String, Codable, Sendable, CaseIterable {
    case assistants
    case assistantsOutput = "assistants_output"
    case batch
    case batchOutput = "batch_output"
    case fineTune = "fine-tune"
    case fineTuneResults = "fine-tune-results"
    case vision
    case userData = "user_data"
    case evals

    /// Purposes a client may upload with (`CreateFileRequest.purpose`).
    public static let uploadable: [FilePurpose] = [.assistants, .batch, .fineTune, .vision, .userData, .evals]
    /// Purposes the Uploads API accepts (`CreateUploadRequest.purpose`).
    public static let uploadAPI: [FilePurpose] = [.assistants, .batch, .fineTune, .vision, .userData, .evals]

    public var isUploadable: Bool { Self.uploadable.contains(self) }

    /// Files of these purposes must be JSON Lines, checked at upload.
    public var requiresJSONL: Bool { self == .fineTune || self == .batch }
}

/// The deprecated but required `status` of a file. Finch validates at upload, so files are `processed`.
public enum FileStatus: String, Codable, Sendable {
    case uploaded, processed, error
}

/// The `file` object (`OpenAIFile` in the spec).
public struct OpenAIFile: Codable, Sendable, Equatable {
    public var id: String
    public var object: String = "file"
    public var bytes: Int64
    public var createdAt: Int64
    public var expiresAt: Int64?
    public var filename: String
    public var purpose: FilePurpose
    public var status: FileStatus
    public var statusDetails: String?

    public init(id: String, bytes: Int64, createdAt: Int64, expiresAt: Int64?, filename: String,
                purpose: FilePurpose, status: FileStatus, statusDetails: String? = nil) {
        self.id = id
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.filename = filename
        self.purpose = purpose
        self.status = status
        self.statusDetails = statusDetails
    }

    enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case statusDetails = "status_details"
    }
}

/// `{id, object:"file", deleted:true}`.
public struct DeletedObject: Codable, Sendable, Equatable {
    public var id: String
    public var object: String
    public var deleted: Bool

    public init(id: String, object: String, deleted: Bool = true) {
        self.id = id
        self.object = object
        self.deleted = deleted
    }
}

/// A cursor-paginated list: `{object:"list", data, first_id, last_id, has_more}`.
///
/// The spec types `first_id`/`last_id` as (non-null) strings, so an empty page carries `""`;
/// clients paginate from `data[-1].id` and stop on `has_more:false` or an empty page.
public struct CursorPage<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var object: String = "list"
    public var data: [Item]
    public var firstID: String?
    public var lastID: String?
    public var hasMore: Bool

    public init(data: [Item], firstID: String?, lastID: String?, hasMore: Bool) {
        self.data = data
        self.firstID = firstID
        self.lastID = lastID
        self.hasMore = hasMore
    }

    enum CodingKeys: String, CodingKey {
        case object, data
        case firstID = "first_id"
        case lastID = "last_id"
        case hasMore = "has_more"
    }
}

/// Azure's file list: only `{object:"list", data}`.
public struct PlainList<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var object: String = "list"
    public var data: [Item]

    public init(data: [Item]) { self.data = data }
}

/// `expires_after`: `{anchor:"created_at", seconds: 3600…2592000}`.
public struct ExpiresAfter: Codable, Sendable, Equatable {
    public var anchor: String
    public var seconds: Int64

    public static let allowedSeconds: ClosedRange<Int64> = 3600...2_592_000

    public init(anchor: String, seconds: Int64) {
        self.anchor = anchor
        self.seconds = seconds
    }

    /// Checks OpenAI's rules; `param` names the field in the error.
    public func validated(param: String = "expires_after") throws(APIError) -> ExpiresAfter {
        guard anchor == "created_at" else {
            throw .invalidRequest("Invalid value for '\(param)[anchor]': '\(anchor)'. Supported values are: 'created_at'.",
                                  param: "\(param)[anchor]", code: "invalid_value")
        }
        guard Self.allowedSeconds.contains(seconds) else {
            throw .invalidRequest("Invalid value for '\(param)[seconds]': \(seconds). It must be between 3600 (1 hour) and 2592000 (30 days).",
                                  param: "\(param)[seconds]", code: "invalid_value")
        }
        return self
    }
}
