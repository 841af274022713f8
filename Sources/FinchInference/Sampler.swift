import Foundation

/// How the next token is chosen.
public struct SamplingParameters: Sendable, Equatable {
    /// 0 means greedy (argmax).
    public var temperature: Double
    /// Nucleus sampling: keep the smallest set of tokens whose probability mass reaches top_p.
    public var topP: Double
    /// Same seed + same prompt + same parameters => same tokens.
    public var seed: UInt64?

    public init(temperature: Double = 1, topP: Double = 1, seed: UInt64? = nil) {
        self.temperature = temperature
        self.topP = topP
        self.seed = seed
    }

    public static let greedy = SamplingParameters(temperature: 0)
}

/// A small, fast, seedable PRNG (SplitMix64), so sampling is reproducible across platforms.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Picks token ids from logits according to `SamplingParameters`.
public struct Sampler: Sendable {
    public let parameters: SamplingParameters
    var rng: SplitMix64

    public init(_ parameters: SamplingParameters) {
        self.parameters = parameters
        rng = SplitMix64(seed: parameters.seed ?? UInt64.random(in: 0...UInt64.max))
    }

    /// logits: (V). Returns the chosen token id.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>) -> Int {
        if parameters.temperature <= 0 { return Self.argmax(logits) }
        let invT = 1 / parameters.temperature
        var m = -Double.infinity
        for x in logits { m = max(m, Double(x)) }
        var probs = logits.enumerated().map { (id: $0.offset, p: exp((Double($0.element) - m) * invT)) }
        var total = probs.reduce(0) { $0 + $1.p }
        if parameters.topP < 1 {
            probs.sort { $0.p > $1.p || ($0.p == $1.p && $0.id < $1.id) }
            let target = max(parameters.topP, 0) * total
            var mass = 0.0, keep = 0
            while keep < probs.count {
                mass += probs[keep].p
                keep += 1
                if mass >= target { break }
            }
            probs.removeSubrange(keep...)
            total = mass
        }
        let u = Double(rng.next() >> 11) / Double(1 << 53) * total
        var acc = 0.0
        for e in probs {
            acc += e.p
            if u < acc { return e.id }
        }
        return probs.last?.id ?? Self.argmax(logits)
    }

    /// The first index of the largest logit (ties resolve to the lowest id, as torch.argmax).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        for (i, x) in logits.enumerated() where x > bestValue {
            best = i
            bestValue = x
        }
        return best
    }
}
