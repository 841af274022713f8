/// `POST /fine_tuning/jobs` body. Every field is optional here so a missing one is reported by name.
public struct CreateFineTuningJobRequest: Decodable, Sendable {
    public var model: String?
    public var trainingFile: String?
    public var validationFile: String?
    public var hyperparameters: Hyperparameters?
    public var suffix: String?
    public var seed: Int64?
    public var integrations: [JSONValue]?
    public var metadata: [String: String]?
    public var method: FineTuneMethod?
    public var finch: FinchTrainingOptions?

    public init(model: String? = nil, trainingFile: String? = nil, validationFile: String? = nil,
                hyperparameters: Hyperparameters? = nil, suffix: String? = nil) {
        self.model = model
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.hyperparameters = hyperparameters
        self.suffix = suffix
    }

    enum CodingKeys: String, CodingKey {
        case model, hyperparameters, suffix, seed, integrations, metadata, method, finch
        case trainingFile = "training_file"
        case validationFile = "validation_file"
    }
}
