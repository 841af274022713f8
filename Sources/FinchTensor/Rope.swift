import Foundation

/// Which channel pairs RoPE rotates.
public enum RopeLayout: Sendable {
    /// Pairs (i, i + hd/2): HF `rotate_half` (Llama, Qwen, NeoX).
    case neox
    /// Pairs (2i, 2i+1): the original GPT-J / Meta interleaved layout.
    case gptj
}

/// Llama 3 frequency scaling (HF `rope_type: "llama3"`).
public struct Llama3RopeScaling: Sendable, Equatable {
    public var factor: Double
    public var lowFreqFactor: Double
    public var highFreqFactor: Double
    public var originalMaxPositionEmbeddings: Int

    public init(factor: Double, lowFreqFactor: Double, highFreqFactor: Double, originalMaxPositionEmbeddings: Int) {
        self.factor = factor
        self.lowFreqFactor = lowFreqFactor
        self.highFreqFactor = highFreqFactor
        self.originalMaxPositionEmbeddings = originalMaxPositionEmbeddings
    }
}

/// inv_freq[i] = 1 / theta^(2i/dim), i < dim/2, optionally divided by a linear factor or Llama 3-scaled.
/// Computed in fp32 the way transformers does, so angles match bit for bit on small positions.
public func ropeInverseFrequencies(dim: Int, theta: Double, linearFactor: Double = 1, llama3: Llama3RopeScaling? = nil) -> [Float] {
    let half = dim / 2
    var inv = (0..<half).map { i -> Float in 1 / powf(Float(theta), Float(2 * i) / Float(dim)) }
    if linearFactor != 1 { inv = inv.map { $0 / Float(linearFactor) } }
    if let s = llama3 {
        let old = Float(s.originalMaxPositionEmbeddings)
        let factor = Float(s.factor), lo = Float(s.lowFreqFactor), hi = Float(s.highFreqFactor)
        let lowWavelen = old / lo
        let highWavelen = old / hi
        inv = inv.map { f in
            let wavelen = 2 * Float.pi / f
            var g = wavelen > lowWavelen ? f / factor : f
            let isMedium = !(wavelen < highWavelen) && !(wavelen > lowWavelen)
            if isMedium {
                let smooth = (old / wavelen - lo) / (hi - lo)
                g = (1 - smooth) * g / factor + smooth * g
            }
            return g
        }
    }
    return inv
}

/// cos/sin tables for the given positions.
/// positions: (N) with N = B*T; invFreq: (hd/2); cos, sin: (N, hd/2).
public func ropeTables(
    cos cosOut: UnsafeMutablePointer<Float>, sin sinOut: UnsafeMutablePointer<Float>,
    positions: UnsafePointer<Int32>, invFreq: UnsafePointer<Float>, N: Int, half: Int
) {
    for n in 0..<N {
        let p = Float(positions[n])
        for i in 0..<half {
            let angle = p * invFreq[i]  // fp32 product, as transformers
            cosOut[n * half + i] = Float(Foundation.cos(Double(angle)))
            sinOut[n * half + i] = Float(Foundation.sin(Double(angle)))
        }
    }
}

/// Rotary position embedding, in place.
/// x: (B,T,NH,hd), cos, sin: (B*T, hd/2).
public func ropeForward(
    x: UnsafeMutablePointer<Float>, cos: UnsafePointer<Float>, sin: UnsafePointer<Float>,
    BT: Int, NH: Int, hd: Int, layout: RopeLayout = .neox
) {
    let half = hd / 2
    parallelFor(BT * NH, minChunk: 64) { range in
        for row in range {
            let bt = row / NH
            let v = x + row * hd
            let c = cos + bt * half
            let s = sin + bt * half
            switch layout {
            case .neox:
                for i in 0..<half {
                    let x1 = v[i], x2 = v[i + half]
                    v[i] = x1 * c[i] - x2 * s[i]
                    v[i + half] = x2 * c[i] + x1 * s[i]
                }
            case .gptj:
                for i in 0..<half {
                    let x1 = v[2 * i], x2 = v[2 * i + 1]
                    v[2 * i] = x1 * c[i] - x2 * s[i]
                    v[2 * i + 1] = x2 * c[i] + x1 * s[i]
                }
            }
        }
    }
}
