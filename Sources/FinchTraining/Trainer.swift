import FinchModels
import FinchTensor
import Foundation

/// The training loop the job worker and `finch train` call. Synchronous and CPU-bound: run it on a
/// dedicated thread. Everything random derives from `configuration.seed` and the step number, so the
/// same seed and data give the same losses, and a resumed run ends exactly as an uninterrupted one.
public enum Trainer {
    /// Trains `configuration.modelDirectory` on the configured data.
    ///
    /// - Parameters:
    ///   - resume: continue from `<output>/resume_state.safetensors` if present (else start fresh).
    ///   - observe: called on the training thread with every `TrainingEvent`.
    ///   - shouldStop: polled before every step; returning true writes a resume state and returns a
    ///     result with `completed == false` (cancel or pause; a later `resume: true` run continues).
    /// - Throws: `DataValidationError` for bad files (OpenAI codes), `TrainingError`, `ModelError`.
    public static func run(
        _ configuration: TrainingConfiguration, resume: Bool = false,
        observe: (TrainingEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) throws -> TrainingResult {
        HeapRetention.enable()
        let session = try TrainingSession(configuration)
        return try session.run(resume: resume, observe: observe, shouldStop: shouldStop)
    }

    /// Validates the data files and resolves "auto" hyperparameters without loading the model weights.
    public static func plan(_ c: TrainingConfiguration) throws -> (examples: Int, validationExamples: Int, epochs: Int, batchSize: Int, learningRateMultiplier: Double) {
        let train = try TrainingData.load(contentsOf: URL(fileURLWithPath: c.trainingFile), role: .training)
        let valid = try c.validationFile.map { try TrainingData.load(contentsOf: URL(fileURLWithPath: $0), role: .validation) } ?? []
        let r = Hyperparameters.resolve(c, examples: train.count)
        return (train.count, valid.count, r.epochs, r.batchSize, r.multiplier)
    }
}

/// One run's loaded data, model and optimizer.
final class TrainingSession {
    let config: TrainingConfiguration
    let output: URL
    let model: TrainingModel
    let optimizer: AdamW
    let train: [TokenizedExample]
    let valid: [TokenizedExample]
    var plan: TrainingPlan
    let schedule: LinearSchedule
    var resumeURL: URL { output.appendingPathComponent("resume_state.safetensors") }
    var csvURL: URL { output.appendingPathComponent("results.csv") }

    init(_ c: TrainingConfiguration) throws {
        config = c
        output = URL(fileURLWithPath: c.outputDirectory)
        let modelDir = URL(fileURLWithPath: c.modelDirectory)
        let trainExamples = try TrainingData.load(contentsOf: URL(fileURLWithPath: c.trainingFile), role: .training)
        let validExamples = try c.validationFile.map { try TrainingData.load(contentsOf: URL(fileURLWithPath: $0), role: .validation) } ?? []
        let modelConfig = try ModelConfig.load(directory: modelDir)
        let maxLen = c.sequenceLength(model: modelConfig)
        let tok = try ExampleTokenizer(modelDirectory: modelDir, maxLength: maxLen, promptLossWeight: c.promptLossWeight)
        train = try trainExamples.map(tok.tokenize)
        valid = try validExamples.map(tok.tokenize)
        guard c.epochs.map({ $0 >= 1 }) ?? true, c.batchSize.map({ $0 >= 1 }) ?? true,
              (c.learningRate ?? 1) > 0, (c.learningRateMultiplier ?? 1) > 0, c.microBatchTokens > 0 else {
            throw TrainingError.invalidConfiguration("epochs, batch size, learning rate and micro-batch tokens must be positive")
        }
        let r = Hyperparameters.resolve(c, examples: train.count)
        model = try TrainingModel(directory: modelDir, method: c.method, seed: c.seed)
        if let initial = c.initialAdapterDirectory {  // a resume state, when there is one, overwrites it
            try model.loadAdapter(directory: URL(fileURLWithPath: initial))
        }
        optimizer = AdamW(parameters: model.parameters, settings: c.adam)
        schedule = LinearSchedule(peak: r.learningRate, warmupSteps: c.warmupSteps, totalSteps: r.totalSteps)
        plan = TrainingPlan(
            examples: train.count, validationExamples: valid.count, epochs: r.epochs, batchSize: r.batchSize,
            learningRate: r.learningRate, learningRateMultiplier: r.multiplier, stepsPerEpoch: r.stepsPerEpoch,
            totalSteps: r.totalSteps, trainableParameters: model.trainableCount,
            truncatedExamples: train.filter { $0.truncatedTokens > 0 }.count,
            truncatedTokens: train.reduce(0) { $0 + $1.truncatedTokens },
            tokensPerEpoch: train.reduce(0) { $0 + $1.tokens.count }, resumedFromStep: 0)
    }

    /// Settings and data that must not change across a resume.
    var fingerprint: String {
        var c = config
        c.resumeStateInterval = 0
        c.outputDirectory = ""
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        let settings = (try? enc.encode(c)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        var h = UInt64(1469598103934665603)
        for ex in train { for t in ex.tokens { h = (h ^ UInt64(UInt32(bitPattern: t))) &* 1099511628211 } }
        return "\(settings)|\(plan.totalSteps)|\(train.count)|\(h)"
    }

    /// The shuffled example order of `epoch` (0-based).
    func order(epoch: Int) -> [Int] {
        var idx = Array(0..<train.count)
        var rng = SplitMix64(seed: config.seed, stream: 2, UInt64(epoch))
        idx.shuffle(using: &rng)
        return idx
    }

    /// Packs examples into micro-batches of at most `microBatchTokens` tokens (an example longer than the
    /// budget gets a micro-batch of its own).
    func microBatches(_ examples: [TokenizedExample]) -> [MicroBatch] {
        MicroBatch.pack(examples, budget: config.microBatchTokens)
    }

    /// Forward-only statistics over `examples`.
    func evaluate(_ examples: [TokenizedExample]) throws -> BatchStats {
        var rng = SplitMix64(seed: 0)
        var stats = BatchStats()
        for mb in microBatches(examples) { stats = stats + (try model.forwardBackward(mb, gradScale: nil, rng: &rng)) }
        return stats
    }
}
