/// The `fine_tuning.job.event` object: the user's window into a job.
public struct FineTuningJobEvent: Codable, Sendable, Equatable {
    public enum Level: String, Codable, Sendable { case info, warn, error }
    public enum Kind: String, Codable, Sendable { case message, metrics }

    public var id: String
    public var object = "fine_tuning.job.event"
    public var createdAt: Int64
    public var level: Level
    public var message: String
    public var type: Kind
    public var data: JSONValue?

    public init(id: String, createdAt: Int64, level: Level, message: String, type: Kind, data: JSONValue?) {
        self.id = id
        self.createdAt = createdAt
        self.level = level
        self.message = message
        self.type = type
        self.data = data
    }

    enum CodingKeys: String, CodingKey {
        case id, object, level, message, type, data
        case createdAt = "created_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(level, forKey: .level)
        try container.encode(message, forKey: .message)
        try container.encode(type, forKey: .type)
        try container.encode(data ?? .object([:]), forKey: .data)
    }
}

/// The `fine_tuning.job.checkpoint` object; each is also a model, `…:ckpt-step-N`.
public struct FineTuningJobCheckpoint: Codable, Sendable, Equatable {
    public var id: String
    public var object = "fine_tuning.job.checkpoint"
    public var createdAt: Int64
    public var fineTunedModelCheckpoint: String
    public var stepNumber: Int
    public var metrics: [String: Double]
    public var fineTuningJobID: String

    public init(id: String, createdAt: Int64, fineTunedModelCheckpoint: String, stepNumber: Int, metrics: [String: Double],
                fineTuningJobID: String) {
        self.id = id
        self.createdAt = createdAt
        self.fineTunedModelCheckpoint = fineTunedModelCheckpoint
        self.stepNumber = stepNumber
        self.metrics = metrics
        self.fineTuningJobID = fineTuningJobID
    }

    enum CodingKeys: String, CodingKey {
        case id, object, metrics
        case createdAt = "created_at"
        case fineTunedModelCheckpoint = "fine_tuned_model_checkpoint"
        case stepNumber = "step_number"
        case fineTuningJobID = "fine_tuning_job_id"
    }
}

/// `{object:"list", data, has_more}` (jobs and events).
public struct HasMoreList<Item: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    public var object = "list"
    public var data: [Item]
    public var hasMore: Bool

    public init(data: [Item], hasMore: Bool) {
        self.data = data
        self.hasMore = hasMore
    }

    enum CodingKeys: String, CodingKey {
        case object, data
        case hasMore = "has_more"
    }
}
