import Foundation

/// What a run reports to its observer, in order: `started`, then `step` per optimizer step
/// (with `checkpoint` after each epoch end), `resumeStateSaved` whenever the state is persisted, and `finished`.
public enum TrainingEvent: Sendable {
    case started(TrainingPlan)
    case step(StepMetrics)
    case checkpoint(CheckpointInfo)
    case resumeStateSaved(step: Int, path: String)
    case finished(TrainingResult)
}

/// The resolved run, reported once at the start.
public struct TrainingPlan: Sendable, Codable, Equatable {
    public var examples: Int
    public var validationExamples: Int
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    public var learningRateMultiplier: Double
    public var stepsPerEpoch: Int
    public var totalSteps: Int
    public var trainableParameters: Int
    /// Examples longer than the context (cut from the end) and the tokens cut.
    public var truncatedExamples: Int
    public var truncatedTokens: Int
    /// Tokens of one pass over the training data.
    public var tokensPerEpoch: Int
    /// The step a resumed run continues from (0 for a fresh run).
    public var resumedFromStep: Int
}

/// Metrics of one optimizer step. Validation fields are nil on steps without validation;
/// `fullValid*` are set on the last step of an epoch.
public struct StepMetrics: Sendable, Codable, Equatable {
    public var step: Int            // 1-based
    public var totalSteps: Int
    public var epoch: Int           // 1-based
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validLoss: Double?
    public var validAccuracy: Double?
    public var fullValidLoss: Double?
    public var fullValidAccuracy: Double?
    public var learningRate: Double
    public var gradNorm: Double
    public var tokens: Int
    public var tokensPerSecond: Double
    /// Seconds of training so far in this process, and the estimate for the remaining steps.
    public var elapsed: Double
    public var eta: Double

    /// The results CSV row: `step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy`.
    public var csvRow: String {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
        return "\(step),\(f(trainLoss)),\(f(trainAccuracy)),\(f(validLoss ?? fullValidLoss)),\(f(validAccuracy ?? fullValidAccuracy))"
    }
}

/// An epoch-end checkpoint: a PEFT adapter directory (LoRA) or a full model directory.
public struct CheckpointInfo: Sendable, Codable, Equatable {
    public var step: Int
    public var epoch: Int
    public var directory: String
    public var metrics: StepMetrics
}

/// How a run ended.
public struct TrainingResult: Sendable, Codable, Equatable {
    /// False when `shouldStop` ended the run early (a resume state is then on disk).
    public var completed: Bool
    public var steps: Int
    public var totalSteps: Int
    /// Tokens processed by training steps (all epochs).
    public var trainedTokens: Int
    /// The final adapter (LoRA) or model (full) directory; nil when not completed.
    public var outputModelDirectory: String?
    /// `results.csv` with one row per step.
    public var resultsCSV: String
    public var checkpoints: [CheckpointInfo]
    public var lastMetrics: StepMetrics?
    /// Where the resume state lives.
    public var resumeState: String
}
