/// Backward of `rmsnormForward` (out = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps)).
/// dout, inp: (N, C), weight: (C), rstd: (N) from the forward pass.
/// dinp: (N, C) += ..., dweight: (C) += ... or nil when the weight is frozen.
/// dinp may not alias dout. dweight is reduced over rows in a fixed order (deterministic).
///
/// With xhat = x * rstd: dx = rstd * (w*dout - xhat * mean(w*dout * xhat)).
public func rmsnormBackward(
    dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    N: Int, C: Int
) {
    parallelFor(N, minChunk: max(1, 2048 / max(C, 1))) { rows in
        for n in rows {
            let x = inp + n * C, dy = dout + n * C, dx = dinp + n * C
            let s = rstd[n]
            var proj: Float = 0  // sum_i w_i dy_i xhat_i
            for i in 0..<C { proj += weight[i] * dy[i] * x[i] * s }
            proj /= Float(C)
            for i in 0..<C {
                let xhat = x[i] * s
                dx[i] += s * (weight[i] * dy[i] - xhat * proj)
            }
        }
    }
    guard let dweight else { return }
    // dw_i = sum_n dy[n,i] * xhat[n,i]; parallel over channels
    parallelFor(C, minChunk: 64) { cols in
        for n in 0..<N {
            let x = inp + n * C, dy = dout + n * C, s = rstd[n]
            for i in cols { dweight[i] += dy[i] * x[i] * s }
        }
    }
}

/// Backward of `layernormForward` (out = (x - mean) * rstd * w + b).
/// dout, inp: (N, C), weight: (C), mean, rstd: (N) from the forward pass.
/// dinp: (N, C) += ..., dweight, dbias: (C) += ... or nil when frozen.
///
/// With xhat = (x - mean) * rstd, g = w * dout: dx = rstd * (g - mean(g) - xhat * mean(g * xhat)).
public func layernormBackward(
    dinp: UnsafeMutablePointer<Float>, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
    N: Int, C: Int
) {
    parallelFor(N, minChunk: max(1, 2048 / max(C, 1))) { rows in
        for n in rows {
            let x = inp + n * C, dy = dout + n * C, dx = dinp + n * C
            let m = mean[n], s = rstd[n]
            var gMean: Float = 0, gxMean: Float = 0
            for i in 0..<C {
                let g = weight[i] * dy[i]
                gMean += g
                gxMean += g * (x[i] - m) * s
            }
            gMean /= Float(C)
            gxMean /= Float(C)
            for i in 0..<C {
                let xhat = (x[i] - m) * s
                dx[i] += s * (weight[i] * dy[i] - gMean - xhat * gxMean)
            }
        }
    }
    if dweight == nil && dbias == nil { return }
    parallelFor(C, minChunk: 64) { cols in
        for n in 0..<N {
            let x = inp + n * C, dy = dout + n * C, m = mean[n], s = rstd[n]
            for i in cols {
                dweight?[i] += dy[i] * (x[i] - m) * s
                dbias?[i] += dy[i]
            }
        }
    }
}
