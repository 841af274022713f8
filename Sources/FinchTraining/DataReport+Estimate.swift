import FinchModels
import Foundation

/// An estimate of a run's wall time on this machine: a few real optimizer steps (forward, backward, gradient
/// clipping, AdamW) of the configured model and method on the file's own batches are timed, and that throughput
/// is extrapolated to the plan's tokens; validation passes are timed forward-only. An estimate: other load on the
/// machine, checkpoint writes and batches unlike the measured ones make the real run differ.
public struct TrainingEstimate: Sendable, Codable, Equatable {
    public var modelLoadSeconds: Double
    /// Timed steps (after one untimed warm-up step) and what they processed.
    public var measuredSteps: Int
    public var measuredTokens: Int
    public var measuredSeconds: Double
    /// Training throughput: tokens through forward + backward + optimizer per second.
    public var tokensPerSecond: Double
    /// Forward-only throughput, measured when there is a validation file.
    public var validationTokensPerSecond: Double?
    /// Tokens the run processes: every epoch's training tokens; the periodic and end-of-epoch validation tokens.
    public var trainingTokens: Int
    public var validationTokens: Int
    public var trainingSeconds: Double
    public var validationSeconds: Double
    /// Model load + training + validation.
    public var totalSeconds: Double

    enum CodingKeys: String, CodingKey {
        case modelLoadSeconds = "model_load_seconds"
        case measuredSteps = "measured_steps"
        case measuredTokens = "measured_tokens"
        case measuredSeconds = "measured_seconds"
        case tokensPerSecond = "tokens_per_second"
        case validationTokensPerSecond = "validation_tokens_per_second"
        case trainingTokens = "training_tokens"
        case validationTokens = "validation_tokens"
        case trainingSeconds = "training_seconds"
        case validationSeconds = "validation_seconds"
        case totalSeconds = "total_seconds"
    }

    /// Loads the model, times steps on `train`'s batches (in file order) until `budgetSeconds` have passed
    /// (at most 32 steps), and extrapolates.
    static func measure(_ c: TrainingConfiguration, train: [TokenizedExample], validation: [TokenizedExample],
                        epochs: Int, batchSize: Int, totalSteps: Int, budgetSeconds: Double) throws -> TrainingEstimate {
        let clock = ContinuousClock()
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18 }
        let loadStart = clock.now
        let model = try TrainingModel(directory: URL(fileURLWithPath: c.modelDirectory), method: c.method, seed: c.seed)
        let loadSeconds = seconds(clock.now - loadStart)
        let optimizer = AdamW(parameters: model.parameters, settings: c.adam)
        let batches = stride(from: 0, to: train.count, by: max(1, batchSize)).map {
            Array(train[$0..<min($0 + max(1, batchSize), train.count)])
        }

        /// One optimizer step, as the training loop does it; returns the tokens processed.
        func step(_ k: Int) throws -> Int {
            let micro = MicroBatch.pack(batches[k % batches.count], budget: c.microBatchTokens)
            let (stats, _) = try model.accumulateGradients(micro, seed: c.seed, step: k, maxGradNorm: c.maxGradNorm)
            optimizer.step(model.parameters, lr: Hyperparameters.baseLearningRate(c.method))
            return stats.tokens
        }

        // An untimed warm-up step (first-touch allocations), unless it alone used the budget.
        let warmStart = clock.now
        var tokens = try step(0)
        var steps = 1
        var elapsed = seconds(clock.now - warmStart)
        if elapsed < budgetSeconds / 2 {
            (tokens, steps, elapsed) = (0, 0, 0)
            let start = clock.now
            repeat {
                tokens += try step(steps + 1)
                steps += 1
                elapsed = seconds(clock.now - start)
            } while elapsed < budgetSeconds && steps < 32
        }
        let rate = Double(tokens) / max(elapsed, 1e-9)

        let tokensPerEpoch = train.reduce(0) { $0 + $1.tokens.count }
        var validationTokens = 0
        var validationRate: Double?
        if !validation.isEmpty {
            // Every `validationInterval` steps a batch of validation examples; every epoch end the whole file.
            let validTokens = validation.reduce(0) { $0 + $1.tokens.count }
            let perBatch = Double(validTokens) / Double(validation.count) * Double(min(batchSize, validation.count))
            let periodic = c.validationInterval > 0 ? totalSteps / c.validationInterval : 0
            validationTokens = Int(perBatch * Double(periodic)) + validTokens * epochs
            if let sample = MicroBatch.pack(validation, budget: c.microBatchTokens).first {
                var rng = SplitMix64(seed: 0)
                let start = clock.now
                var passes = 0
                repeat {
                    _ = try model.forwardBackward(sample, gradScale: nil, rng: &rng)
                    passes += 1
                } while seconds(clock.now - start) < budgetSeconds / 4 && passes < 8
                validationRate = Double(sample.tokenCount * passes) / max(seconds(clock.now - start), 1e-9)
            }
        }
        let trainingTokens = tokensPerEpoch * epochs
        let trainingSeconds = Double(trainingTokens) / max(rate, 1e-9)
        let validationSeconds = validationRate.map { Double(validationTokens) / max($0, 1e-9) } ?? 0
        return TrainingEstimate(
            modelLoadSeconds: loadSeconds, measuredSteps: steps, measuredTokens: tokens, measuredSeconds: elapsed,
            tokensPerSecond: rate, validationTokensPerSecond: validationRate, trainingTokens: trainingTokens,
            validationTokens: validationTokens, trainingSeconds: trainingSeconds, validationSeconds: validationSeconds,
            totalSeconds: loadSeconds + trainingSeconds + validationSeconds)
    }
}

extension MicroBatch {
    /// Packs examples into micro-batches of at most `budget` tokens, in order (an example longer than the budget
    /// gets a micro-batch of its own): the training loop's gradient accumulation.
    static func pack(_ examples: [TokenizedExample], budget: Int) -> [MicroBatch] {
        var out: [MicroBatch] = []
        var cur = MicroBatch()
        for ex in examples where !ex.tokens.isEmpty {
            if cur.tokenCount > 0 && cur.tokenCount + ex.tokens.count > budget {
                out.append(cur)
                cur = MicroBatch()
            }
            cur.append(tokens: ex.tokens, lossWeights: ex.weights)
        }
        if cur.tokenCount > 0 { out.append(cur) }
        return out
    }
}
