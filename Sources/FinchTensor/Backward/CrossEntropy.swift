import Foundation

/// Fused softmax cross-entropy over the rows that carry loss weight (llm.c's classifier step).
///
/// logits: (M, V) for the M positions with a non-zero weight; targets, weights: (M).
/// Writes losses[m] = -log softmax(logits[m])[targets[m]] (unweighted) and correct[m] = 1 when the
/// argmax (first maximum, as torch.argmax) equals the target, else 0.
/// With `gradScale` set, logits is overwritten in place by dlogits = (softmax - onehot) * weights[m] * gradScale,
/// the gradient of gradScale * sum_m weights[m] * losses[m].
public func crossEntropyForwardBackward(
    logits: UnsafeMutablePointer<Float>, losses: UnsafeMutablePointer<Float>, correct: UnsafeMutablePointer<Float>,
    targets: UnsafePointer<Int32>, weights: UnsafePointer<Float>, gradScale: Float?,
    M: Int, V: Int
) {
    parallelFor(M, minChunk: 1) { rows in
        for m in rows {
            let x = logits + m * V
            let target = Int(targets[m])
            var maxv = -Float.infinity
            var argmax = 0
            for i in 0..<V where x[i] > maxv {
                maxv = x[i]
                argmax = i
            }
            var total: Float = 0
            for i in 0..<V { total += expf(x[i] - maxv) }
            let lse = maxv + logf(total)
            losses[m] = lse - x[target]
            correct[m] = argmax == target ? 1 : 0
            guard let gradScale else { continue }
            let g = weights[m] * gradScale
            let inv = 1 / total
            for i in 0..<V { x[i] = expf(x[i] - maxv) * inv * g }
            x[target] -= g
        }
    }
}
