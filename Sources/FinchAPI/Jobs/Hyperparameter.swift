/// A hyperparameter as the API takes it: `"auto"` or a number. Jobs report numbers once validated.
public enum Hyperparameter<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    case auto
    case value(Value)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let text = try? container.decode(String.self) {
            guard text == "auto" else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected \"auto\" or a number, got '\(text)'")
            }
            self = .auto
        } else {
            self = .value(try container.decode(Value.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .auto: try container.encode("auto")
        case .value(let value): try container.encode(value)
        }
    }

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }
}

/// `{batch_size, learning_rate_multiplier, n_epochs}` (+ `beta` for DPO).
public struct Hyperparameters: Codable, Sendable, Equatable {
    public var batchSize: Hyperparameter<Int>?
    public var learningRateMultiplier: Hyperparameter<Double>?
    public var nEpochs: Hyperparameter<Int>?
    public var beta: Hyperparameter<Double>?

    public init(batchSize: Hyperparameter<Int>? = nil, learningRateMultiplier: Hyperparameter<Double>? = nil,
                nEpochs: Hyperparameter<Int>? = nil, beta: Hyperparameter<Double>? = nil) {
        self.batchSize = batchSize
        self.learningRateMultiplier = learningRateMultiplier
        self.nEpochs = nEpochs
        self.beta = beta
    }

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size"
        case learningRateMultiplier = "learning_rate_multiplier"
        case nEpochs = "n_epochs"
        case beta
    }

    /// Checks the ranges of the spec; `param` is where these hyperparameters were given.
    public func validated(param: String) throws(APIError) -> Hyperparameters {
        if case .value(let size) = batchSize, !(1...256).contains(size) {
            throw .invalidRequest("Invalid value for '\(param).batch_size': \(size). It must be between 1 and 256.",
                                  param: "\(param).batch_size", code: "invalid_value")
        }
        if case .value(let multiplier) = learningRateMultiplier, !(multiplier > 0 && multiplier.isFinite) {
            throw .invalidRequest("Invalid value for '\(param).learning_rate_multiplier': \(multiplier). It must be greater than 0.",
                                  param: "\(param).learning_rate_multiplier", code: "invalid_value")
        }
        if case .value(let epochs) = nEpochs, !(1...50).contains(epochs) {
            throw .invalidRequest("Invalid value for '\(param).n_epochs': \(epochs). It must be between 1 and 50.",
                                  param: "\(param).n_epochs", code: "invalid_value")
        }
        if case .value(let beta) = beta, !(beta > 0 && beta <= 2) {
            throw .invalidRequest("Invalid value for '\(param).beta': \(beta). It must be greater than 0 and at most 2.",
                                  param: "\(param).beta", code: "invalid_value")
        }
        return self
    }

    /// Every field the method uses, with `"auto"` where nothing was given.
    public func withDefaults(includingBeta: Bool = false) -> Hyperparameters {
        Hyperparameters(batchSize: batchSize ?? .auto, learningRateMultiplier: learningRateMultiplier ?? .auto,
                        nEpochs: nEpochs ?? .auto, beta: includingBeta ? (beta ?? .auto) : nil)
    }
}

/// `method`: `{type, supervised?: {hyperparameters}, dpo?: {hyperparameters}, reinforcement?}`.
public struct FineTuneMethod: Codable, Sendable, Equatable {
    public struct Settings: Codable, Sendable, Equatable {
        public var hyperparameters: Hyperparameters?
        public init(hyperparameters: Hyperparameters?) { self.hyperparameters = hyperparameters }
    }

    public var type: String
    public var supervised: Settings?
    public var dpo: Settings?
    public var reinforcement: JSONValue?

    public init(type: String, supervised: Settings? = nil, dpo: Settings? = nil, reinforcement: JSONValue? = nil) {
        self.type = type
        self.supervised = supervised
        self.dpo = dpo
        self.reinforcement = reinforcement
    }
}
