/// Examples packed back to back into one token stream (no padding): what one forward/backward pass sees.
/// Sequence s covers tokens cuSeqlens[s] ..< cuSeqlens[s+1]; attention never crosses sequences.
public struct MicroBatch: Sendable, Equatable {
    /// (N) token ids.
    public var tokens: [Int32] = []
    /// (N) position of each token inside its own sequence (restarting at 0).
    public var positions: [Int32] = []
    /// (S+1) sequence boundaries.
    public var cuSeqlens: [Int] = [0]
    /// (M) rows whose logits are needed: token n predicts targets[m] = tokens[n+1] with weights[m] != 0.
    public var lossRows: [Int32] = []
    public var targets: [Int32] = []
    public var weights: [Float] = []

    public init() {}

    public var tokenCount: Int { tokens.count }
    public var sequenceCount: Int { cuSeqlens.count - 1 }

    /// Appends one tokenized example. `lossWeights[i]` weighs predicting `tokens[i]` from the tokens before it.
    public mutating func append(tokens ids: [Int32], lossWeights: [Float]) {
        let start = tokens.count
        tokens += ids
        positions += (0..<ids.count).map { Int32($0) }
        cuSeqlens.append(tokens.count)
        for i in 1..<max(ids.count, 1) where lossWeights[i] != 0 {
            lossRows.append(Int32(start + i - 1))
            targets.append(ids[i])
            weights.append(lossWeights[i])
        }
    }

    /// Sum of the loss weights (the normaliser of the weighted mean loss).
    public var weightSum: Double { weights.reduce(0) { $0 + Double($1) } }
}

/// Losses and accuracy summed over the loss rows of one or more micro-batches.
public struct BatchStats: Sendable, Equatable {
    /// Σ w·loss
    public var weightedLoss: Double = 0
    /// Σ w
    public var weight: Double = 0
    /// Σ w·[argmax == target]
    public var weightedCorrect: Double = 0
    /// Tokens processed (forward), loss rows.
    public var tokens: Int = 0
    public var lossRows: Int = 0

    public init() {}

    public var meanLoss: Double { weight > 0 ? weightedLoss / weight : 0 }
    public var meanAccuracy: Double { weight > 0 ? weightedCorrect / weight : 0 }

    public static func + (a: BatchStats, b: BatchStats) -> BatchStats {
        var r = a
        r.weightedLoss += b.weightedLoss
        r.weight += b.weight
        r.weightedCorrect += b.weightedCorrect
        r.tokens += b.tokens
        r.lossRows += b.lossRows
        return r
    }
}
