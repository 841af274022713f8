/// Where a job is in its life: `validating_files → queued → running → succeeded | failed | cancelled`,
/// plus `paused` (pause/resume).
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case validatingFiles = "validating_files"
    case queued, running, succeeded, failed, cancelled, paused

    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// Azure's `FineTuningState`: `pending` before training, no `validating_files`/`queued`.
    public var azureName: String {
        switch self {
        case .validatingFiles, .queued: "pending"
        case .paused: "paused"
        default: rawValue
        }
    }
}

/// Why a job failed: `{code, message, param}`.
public struct JobError: Codable, Sendable, Equatable {
    public var code: String
    public var message: String
    public var param: String?

    public init(code: String, message: String, param: String?) {
        self.code = code
        self.message = message
        self.param = param
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encode(param, forKey: .param)
    }

    enum CodingKeys: String, CodingKey { case code, message, param }
}

/// The `fine_tuning.job` object. Required-but-nullable fields are always written, as `null` when unset.
public struct FineTuningJob: Codable, Sendable, Equatable {
    public var id: String
    public var object = "fine_tuning.job"
    public var createdAt: Int64
    public var error: JobError?
    public var fineTunedModel: String?
    public var finishedAt: Int64?
    public var hyperparameters: Hyperparameters
    public var model: String
    public var organizationID: String
    public var resultFiles: [String]
    public var status: JobStatus
    public var trainedTokens: Int64?
    public var trainingFile: String
    public var validationFile: String?
    public var integrations: [JSONValue]?
    public var seed: Int64
    public var estimatedFinish: Int64?
    public var method: FineTuneMethod?
    public var metadata: [String: String]?
    /// The suffix the user asked for (OpenAI sends this extra field too).
    public var userProvidedSuffix: String?
    /// Finch's own settings (LoRA rank, full fine-tuning, …), echoed back.
    public var finch: FinchTrainingOptions?
    /// Set on Azure routes: the status written instead of `status` (Azure's state names).
    public var azureStatus: String?

    public init(id: String, createdAt: Int64, model: String, organizationID: String, status: JobStatus,
                trainingFile: String, validationFile: String?, hyperparameters: Hyperparameters, seed: Int64) {
        self.id = id
        self.createdAt = createdAt
        self.model = model
        self.organizationID = organizationID
        self.status = status
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.hyperparameters = hyperparameters
        self.seed = seed
        self.resultFiles = []
    }

    enum CodingKeys: String, CodingKey {
        case id, object, error, hyperparameters, model, status, seed, integrations, method, metadata, finch
        case createdAt = "created_at"
        case fineTunedModel = "fine_tuned_model"
        case finishedAt = "finished_at"
        case organizationID = "organization_id"
        case resultFiles = "result_files"
        case trainedTokens = "trained_tokens"
        case trainingFile = "training_file"
        case validationFile = "validation_file"
        case estimatedFinish = "estimated_finish"
        case userProvidedSuffix = "user_provided_suffix"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(object, forKey: .object)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(error, forKey: .error)
        try container.encode(fineTunedModel, forKey: .fineTunedModel)
        try container.encode(finishedAt, forKey: .finishedAt)
        try container.encode(hyperparameters, forKey: .hyperparameters)
        try container.encode(model, forKey: .model)
        try container.encode(organizationID, forKey: .organizationID)
        try container.encode(resultFiles, forKey: .resultFiles)
        if let azureStatus { try container.encode(azureStatus, forKey: .status) } else { try container.encode(status, forKey: .status) }
        try container.encode(trainedTokens, forKey: .trainedTokens)
        try container.encode(trainingFile, forKey: .trainingFile)
        try container.encode(validationFile, forKey: .validationFile)
        try container.encode(integrations ?? [], forKey: .integrations)
        try container.encode(seed, forKey: .seed)
        try container.encode(estimatedFinish, forKey: .estimatedFinish)
        try container.encodeIfPresent(method, forKey: .method)
        try container.encode(metadata, forKey: .metadata)
        try container.encode(userProvidedSuffix, forKey: .userProvidedSuffix)
        try container.encodeIfPresent(finch, forKey: .finch)
    }
}

/// Finch extensions to a job request, passed with the SDK's `extra_body={"finch": {...}}`.
public struct FinchTrainingOptions: Codable, Sendable, Equatable {
    /// `lora` (default) or `full`.
    public var trainingType: String?
    public var loraRank: Int?
    public var loraAlpha: Double?
    public var loraDropout: Double?
    public var loraTargetModules: [String]?

    public init(trainingType: String? = nil, loraRank: Int? = nil, loraAlpha: Double? = nil, loraDropout: Double? = nil,
                loraTargetModules: [String]? = nil) {
        self.trainingType = trainingType
        self.loraRank = loraRank
        self.loraAlpha = loraAlpha
        self.loraDropout = loraDropout
        self.loraTargetModules = loraTargetModules
    }

    enum CodingKeys: String, CodingKey {
        case trainingType = "training_type"
        case loraRank = "lora_rank"
        case loraAlpha = "lora_alpha"
        case loraDropout = "lora_dropout"
        case loraTargetModules = "lora_target_modules"
    }

    public func validated() throws(APIError) -> FinchTrainingOptions {
        if let type = trainingType, type != "lora", type != "full" {
            throw .invalidRequest("Invalid value for 'finch.training_type': '\(type)'. Supported values are: 'lora' and 'full'.",
                                  param: "finch.training_type", code: "invalid_value")
        }
        if let rank = loraRank, !(1...256).contains(rank) {
            throw .invalidRequest("Invalid value for 'finch.lora_rank': \(rank). It must be between 1 and 256.",
                                  param: "finch.lora_rank", code: "invalid_value")
        }
        if let alpha = loraAlpha, !(alpha > 0 && alpha.isFinite) {
            throw .invalidRequest("Invalid value for 'finch.lora_alpha': it must be greater than 0.", param: "finch.lora_alpha",
                                  code: "invalid_value")
        }
        if let dropout = loraDropout, !(0..<1).contains(dropout) {
            throw .invalidRequest("Invalid value for 'finch.lora_dropout': it must be in [0, 1).", param: "finch.lora_dropout",
                                  code: "invalid_value")
        }
        if let targets = loraTargetModules, targets.isEmpty {
            throw .invalidRequest("'finch.lora_target_modules' must name at least one module.", param: "finch.lora_target_modules",
                                  code: "invalid_value")
        }
        return self
    }
}
