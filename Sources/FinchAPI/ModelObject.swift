/// The `model` object: `{id, object:"model", created, owned_by}`.
public struct ModelObject: Codable, Sendable, Equatable {
    public var id: String
    public var object = "model"
    public var created: Int64
    public var ownedBy: String

    public init(id: String, created: Int64, ownedBy: String) {
        self.id = id
        self.created = created
        self.ownedBy = ownedBy
    }

    enum CodingKeys: String, CodingKey {
        case id, object, created
        case ownedBy = "owned_by"
    }
}

/// Azure's model object: `{object, id, created_at, status, model?, fine_tune?, capabilities, lifecycle_status}`.
public struct AzureModelObject: Codable, Sendable, Equatable {
    public struct Capabilities: Codable, Sendable, Equatable {
        public var fineTune: Bool
        public var inference: Bool
        public var completion: Bool
        public var chatCompletion: Bool
        public var embeddings: Bool

        enum CodingKeys: String, CodingKey {
            case inference, completion, embeddings
            case fineTune = "fine_tune"
            case chatCompletion = "chat_completion"
        }
    }

    public var object = "model"
    public var id: String
    public var createdAt: Int64
    public var status = "succeeded"
    public var model: String?
    public var fineTune: String?
    public var capabilities: Capabilities
    public var lifecycleStatus = "generally-available"

    public init(id: String, createdAt: Int64, model: String?, fineTune: String?, canFineTune: Bool) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.fineTune = fineTune
        capabilities = Capabilities(fineTune: canFineTune, inference: true, completion: true, chatCompletion: true, embeddings: false)
    }

    enum CodingKeys: String, CodingKey {
        case object, id, status, model, capabilities
        case createdAt = "created_at"
        case fineTune = "fine_tune"
        case lifecycleStatus = "lifecycle_status"
    }
}
