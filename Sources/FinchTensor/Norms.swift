import Foundation

/// RMSNorm: out = inp / sqrt(mean(inp^2) + eps) * weight
/// inp: (N, C), weight: (C), out: (N, C), rstd: (N) saved for the backward pass (may be nil).
/// N is B*T (or B*T*H for per-head q/k norms, C = head size).
public func rmsnormForward(
    out: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>?,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    N: Int, C: Int, eps: Float
) {
    parallelFor(N, minChunk: max(1, 4096 / max(C, 1))) { rows in
        for n in rows {
            let x = inp + n * C
            let o = out + n * C
            let ms = sumSquares(x, C) / Float(C)
            let s = 1 / (ms + eps).squareRoot()
            var i = 0
            let vs = SIMD8<Float>(repeating: s)
            while i + 8 <= C {
                store8(load8(x + i) * vs * load8(weight + i), o + i)
                i += 8
            }
            while i < C {
                o[i] = x[i] * s * weight[i]
                i += 1
            }
            rstd?[n] = s
        }
    }
}

/// LayerNorm: out = (inp - mean) / sqrt(var + eps) * weight + bias
/// inp: (N, C), weight, bias: (C), out: (N, C), mean, rstd: (N) saved for backward (may be nil).
public func layernormForward(
    out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
    inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    N: Int, C: Int, eps: Float
) {
    parallelFor(N, minChunk: max(1, 4096 / max(C, 1))) { rows in
        for n in rows {
            let x = inp + n * C
            let o = out + n * C
            let m = sum(x, C) / Float(C)
            var v: Float = 0
            for i in 0..<C {
                let d = x[i] - m
                v += d * d
            }
            v /= Float(C)
            let s = 1 / (v + eps).squareRoot()
            for i in 0..<C {
                o[i] = (x[i] - m) * s * weight[i] + (bias?[i] ?? 0)
            }
            mean?[n] = m
            rstd?[n] = s
        }
    }
}
