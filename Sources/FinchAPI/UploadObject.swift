/// The state of a multi-part upload.
public enum UploadStatus: String, Codable, Sendable {
    case pending, completed, cancelled, expired
}

/// The `upload` object.
public struct UploadObject: Codable, Sendable, Equatable {
    public var id: String
    public var object: String = "upload"
    public var bytes: Int64
    public var createdAt: Int64
    public var expiresAt: Int64
    public var filename: String
    public var purpose: FilePurpose
    public var status: UploadStatus
    public var file: OpenAIFile?

    public init(id: String, bytes: Int64, createdAt: Int64, expiresAt: Int64, filename: String,
                purpose: FilePurpose, status: UploadStatus, file: OpenAIFile?) {
        self.id = id
        self.bytes = bytes
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.filename = filename
        self.purpose = purpose
        self.status = status
        self.file = file
    }

    enum CodingKeys: String, CodingKey {
        case id, object, bytes, filename, purpose, status, file
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(filename, forKey: .filename)
        try container.encode(purpose, forKey: .purpose)
        try container.encode(status, forKey: .status)
        try container.encode(file, forKey: .file)  // `file: null` until completed, as OpenAI sends it
    }
}

/// The `upload.part` object.
public struct UploadPartObject: Codable, Sendable, Equatable {
    public var id: String
    public var object: String = "upload.part"
    public var createdAt: Int64
    public var uploadID: String

    public init(id: String, createdAt: Int64, uploadID: String) {
        self.id = id
        self.createdAt = createdAt
        self.uploadID = uploadID
    }

    enum CodingKeys: String, CodingKey {
        case id, object
        case createdAt = "created_at"
        case uploadID = "upload_id"
    }
}

/// `POST /uploads` body.
public struct CreateUploadRequest: Codable, Sendable {
    public var filename: String?
    public var purpose: String?
    public var bytes: Int64?
    public var mimeType: String?
    public var expiresAfter: ExpiresAfter?

    enum CodingKeys: String, CodingKey {
        case filename, purpose, bytes
        case mimeType = "mime_type"
        case expiresAfter = "expires_after"
    }
}

/// `POST /uploads/{id}/complete` body.
public struct CompleteUploadRequest: Codable, Sendable {
    public var partIDs: [String]?
    public var md5: String?

    enum CodingKeys: String, CodingKey {
        case partIDs = "part_ids"
        case md5
    }
}
