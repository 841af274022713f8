import Foundation

/// Everything a training run needs; Codable so a job can store it, Sendable so a worker thread can own it.
/// `nil` hyperparameters mean "auto" and are resolved by `Hyperparameters` from the data.
public struct TrainingConfiguration: Codable, Sendable, Equatable {
    /// An HF model directory (config.json, *.safetensors, tokenizer.json, tokenizer_config.json).
    public var modelDirectory: String
    public var trainingFile: String
    public var validationFile: String?
    /// Checkpoints, the resume state, the results CSV and the final adapter/model go here.
    public var outputDirectory: String

    public var epochs: Int?
    /// Examples per optimizer step (gradients are accumulated over micro-batches up to it).
    public var batchSize: Int?
    /// An absolute peak learning rate; overrides `learningRateMultiplier`.
    public var learningRate: Double?
    /// OpenAI's learning_rate_multiplier: the peak learning rate is `Hyperparameters.baseLearningRate × multiplier`.
    public var learningRateMultiplier: Double?
    public var method: TrainingMethod
    public var seed: UInt64
    /// Weight of prompt tokens in the prompt/completion format (the legacy `prompt_loss_weight`).
    public var promptLossWeight: Double
    /// Examples are cut to this many tokens (from the end); nil: the model's context, at most 4096.
    public var maxSequenceLength: Int?
    public var warmupSteps: Int
    public var adam: AdamWSettings
    /// Global gradient-norm clipping threshold (0 disables).
    public var maxGradNorm: Double
    /// valid_loss / valid_mean_token_accuracy on one validation batch every this many steps.
    public var validationInterval: Int
    /// Seconds between resume-state writes (one is also written at every epoch end).
    public var resumeStateInterval: Double
    /// Token budget of one forward/backward pass; larger batches are split and their gradients accumulated.
    public var microBatchTokens: Int
    /// Epoch checkpoints kept (the oldest are removed).
    public var keepCheckpoints: Int
    /// A PEFT adapter (same rank and targets as `method`) to start from instead of PEFT's initialisation:
    /// continuing to train a fine-tuned model.
    public var initialAdapterDirectory: String?

    public init(
        modelDirectory: String, trainingFile: String, validationFile: String? = nil, outputDirectory: String,
        epochs: Int? = nil, batchSize: Int? = nil, learningRate: Double? = nil, learningRateMultiplier: Double? = nil,
        method: TrainingMethod = .lora(LoRAConfiguration()), seed: UInt64 = 42, promptLossWeight: Double = 0.01,
        maxSequenceLength: Int? = nil, warmupSteps: Int = 0, adam: AdamWSettings = AdamWSettings(),
        maxGradNorm: Double = 1.0, validationInterval: Int = 10, resumeStateInterval: Double = 300,
        microBatchTokens: Int = 4096, keepCheckpoints: Int = 3, initialAdapterDirectory: String? = nil
    ) {
        self.modelDirectory = modelDirectory
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.outputDirectory = outputDirectory
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.learningRateMultiplier = learningRateMultiplier
        self.method = method
        self.seed = seed
        self.promptLossWeight = promptLossWeight
        self.maxSequenceLength = maxSequenceLength
        self.warmupSteps = warmupSteps
        self.adam = adam
        self.maxGradNorm = maxGradNorm
        self.validationInterval = validationInterval
        self.resumeStateInterval = resumeStateInterval
        self.microBatchTokens = microBatchTokens
        self.keepCheckpoints = keepCheckpoints
        self.initialAdapterDirectory = initialAdapterDirectory
    }
}

/// The "auto" rules for hyperparameters (resolved at validation time, then reported as numbers).
public enum Hyperparameters {
    /// OpenAI cookbook rule: 3 epochs; min(25, 100/n) when n·3 < 100; max(1, 25000/n) when n·3 > 25000.
    public static func epochs(examples n: Int) -> Int {
        let n = max(1, n)
        if n * 3 < 100 { return min(25, 100 / n) }
        if n * 3 > 25_000 { return max(1, 25_000 / n) }
        return 3
    }

    /// Ours: about one step per 64 examples' worth of batch, as a power of two in 1...32
    /// (10 examples → 1, 150 → 2, 1000 → 8, 5000+ → 32).
    public static func batchSize(examples n: Int) -> Int {
        var b = 1
        while b * 2 <= 32 && b * 2 * 64 <= n { b *= 2 }
        return b
    }

    /// Ours: √batch (Adam's square-root scaling), capped at 4: batch 1 → 1.0, 8 → 2.83.
    public static func learningRateMultiplier(batchSize b: Int) -> Double {
        min(4, Double(max(1, b)).squareRoot())
    }

    /// The learning rate a multiplier of 1 stands for: 2e-4 for LoRA, 1e-5 for full fine-tuning.
    public static func baseLearningRate(_ method: TrainingMethod) -> Double {
        if case .full = method { return 1e-5 }
        return 2e-4
    }

    /// The resolved numbers of a configuration for a data set of `n` examples.
    public static func resolve(_ c: TrainingConfiguration, examples n: Int) -> Resolved {
        let epochs = c.epochs ?? self.epochs(examples: n)
        let batch = min(max(1, c.batchSize ?? batchSize(examples: n)), max(1, n))
        let multiplier = c.learningRateMultiplier ?? learningRateMultiplier(batchSize: batch)
        let lr = c.learningRate ?? baseLearningRate(c.method) * multiplier
        return Resolved(epochs: epochs, batchSize: batch,
                        multiplier: c.learningRate.map { $0 / baseLearningRate(c.method) } ?? multiplier,
                        learningRate: lr, stepsPerEpoch: (n + batch - 1) / batch)
    }

    /// A configuration's numbers for one data set: what the trainer runs and what `prepare-data` reports.
    public struct Resolved: Sendable, Equatable {
        public var epochs: Int
        public var batchSize: Int
        public var multiplier: Double
        public var learningRate: Double
        /// Optimizer steps per epoch: every example once, the last batch possibly short.
        public var stepsPerEpoch: Int
        public var totalSteps: Int { stepsPerEpoch * epochs }
    }
}
