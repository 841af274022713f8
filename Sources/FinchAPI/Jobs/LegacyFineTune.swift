/// The legacy `fine-tune` object (`/v1/fine-tunes`, openai<1.0): files embedded as objects,
/// `hyperparams` (not `hyperparameters`), events inline.
public struct LegacyFineTune: Codable, Sendable, Equatable {
    public struct Hyperparams: Codable, Sendable, Equatable {
        public var batchSize: Int?
        public var learningRateMultiplier: Double?
        public var nEpochs: Int?
        public var promptLossWeight: Double
        public var computeClassificationMetrics: Bool?
        public var classificationNClasses: Int?
        public var classificationPositiveClass: String?

        public init(batchSize: Int?, learningRateMultiplier: Double?, nEpochs: Int?, promptLossWeight: Double) {
            self.batchSize = batchSize
            self.learningRateMultiplier = learningRateMultiplier
            self.nEpochs = nEpochs
            self.promptLossWeight = promptLossWeight
        }

        enum CodingKeys: String, CodingKey {
            case batchSize = "batch_size"
            case learningRateMultiplier = "learning_rate_multiplier"
            case nEpochs = "n_epochs"
            case promptLossWeight = "prompt_loss_weight"
            case computeClassificationMetrics = "compute_classification_metrics"
            case classificationNClasses = "classification_n_classes"
            case classificationPositiveClass = "classification_positive_class"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(batchSize, forKey: .batchSize)
            try container.encode(learningRateMultiplier, forKey: .learningRateMultiplier)
            try container.encode(nEpochs, forKey: .nEpochs)
            try container.encode(promptLossWeight, forKey: .promptLossWeight)
            try container.encodeIfPresent(computeClassificationMetrics, forKey: .computeClassificationMetrics)
            try container.encodeIfPresent(classificationNClasses, forKey: .classificationNClasses)
            try container.encodeIfPresent(classificationPositiveClass, forKey: .classificationPositiveClass)
        }
    }

    public struct Event: Codable, Sendable, Equatable {
        public var object = "fine-tune-event"
        public var createdAt: Int64
        public var level: String
        public var message: String

        public init(createdAt: Int64, level: String, message: String) {
            self.createdAt = createdAt
            self.level = level
            self.message = message
        }

        enum CodingKeys: String, CodingKey {
            case object, level, message
            case createdAt = "created_at"
        }
    }

    public var id: String
    public var object = "fine-tune"
    public var model: String
    public var createdAt: Int64
    public var updatedAt: Int64
    public var events: [Event]?
    public var fineTunedModel: String?
    public var hyperparams: Hyperparams
    public var organizationID: String
    public var resultFiles: [OpenAIFile]
    public var status: String
    public var trainingFiles: [OpenAIFile]
    public var validationFiles: [OpenAIFile]

    public init(id: String, model: String, createdAt: Int64, updatedAt: Int64, events: [Event]?, fineTunedModel: String?,
                hyperparams: Hyperparams, organizationID: String, resultFiles: [OpenAIFile], status: String,
                trainingFiles: [OpenAIFile], validationFiles: [OpenAIFile]) {
        self.id = id
        self.model = model
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.events = events
        self.fineTunedModel = fineTunedModel
        self.hyperparams = hyperparams
        self.organizationID = organizationID
        self.resultFiles = resultFiles
        self.status = status
        self.trainingFiles = trainingFiles
        self.validationFiles = validationFiles
    }

    enum CodingKeys: String, CodingKey {
        case id, object, model, events, hyperparams, status
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case fineTunedModel = "fine_tuned_model"
        case organizationID = "organization_id"
        case resultFiles = "result_files"
        case trainingFiles = "training_files"
        case validationFiles = "validation_files"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(model, forKey: .model)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encodeIfPresent(events, forKey: .events)
        try container.encode(fineTunedModel, forKey: .fineTunedModel)
        try container.encode(hyperparams, forKey: .hyperparams)
        try container.encode(organizationID, forKey: .organizationID)
        try container.encode(resultFiles, forKey: .resultFiles)
        try container.encode(status, forKey: .status)
        try container.encode(trainingFiles, forKey: .trainingFiles)
        try container.encode(validationFiles, forKey: .validationFiles)
    }
}

/// `POST /v1/fine-tunes` body.
public struct CreateLegacyFineTuneRequest: Decodable, Sendable {
    public var trainingFile: String?
    public var validationFile: String?
    public var model: String?
    public var nEpochs: Int?
    public var batchSize: Int?
    public var learningRateMultiplier: Double?
    public var promptLossWeight: Double?
    public var computeClassificationMetrics: Bool?
    public var classificationNClasses: Int?
    public var classificationPositiveClass: String?
    public var classificationBetas: [Double]?
    public var suffix: String?

    enum CodingKeys: String, CodingKey {
        case model, suffix
        case trainingFile = "training_file"
        case validationFile = "validation_file"
        case nEpochs = "n_epochs"
        case batchSize = "batch_size"
        case learningRateMultiplier = "learning_rate_multiplier"
        case promptLossWeight = "prompt_loss_weight"
        case computeClassificationMetrics = "compute_classification_metrics"
        case classificationNClasses = "classification_n_classes"
        case classificationPositiveClass = "classification_positive_class"
        case classificationBetas = "classification_betas"
    }
}
