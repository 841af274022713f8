/// SplitMix64: a small, fast, seedable generator. Training derives every random stream
/// (shuffling, LoRA init, dropout) from the run's seed and a stream id, so a resumed run
/// draws exactly the numbers an uninterrupted one would without saving generator state.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one named stream of a run, e.g. (seed, epoch) for shuffling.
    public init(seed: UInt64, stream: UInt64, _ sub: UInt64 = 0) {
        var s = SplitMix64(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        s.state ^= stream &* 0xD6E8_FEB8_6659_FD93
        _ = s.next()
        s.state ^= sub &* 0xA076_1D64_78BD_642F
        _ = s.next()
        self = s
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 24 bits (exactly representable as Float).
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * (1.0 / 16_777_216.0)
    }
}
