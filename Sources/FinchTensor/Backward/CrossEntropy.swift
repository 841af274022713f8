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
            // the maximum eight lanes at a time, then its first index (torch.argmax's tie rule)
            var lanesMax = SIMD8<Float>(repeating: -.infinity)
            var maxv = -Float.infinity
            forEachLane8(0..<V, lanes: { i in
                let v = load8(x + i)
                lanesMax.replace(with: v, where: v .> lanesMax)
            },
                         scalar: { i in maxv = max(maxv, x[i]) })
            maxv = max(maxv, lanesMax.max())
            var argmax = 0
            while argmax < V - 1 && x[argmax] != maxv { argmax += 1 }
            var sums = SIMD8<Float>(repeating: 0)
            var tail: Float = 0
            let shift = SIMD8<Float>(repeating: maxv)
            forEachLane8(0..<V, lanes: { i in sums += exp8(load8(x + i) - shift) },
                         scalar: { i in tail += expf(x[i] - maxv) })
            let total = sums.sum() + tail
            let lse = maxv + logf(total)
            losses[m] = lse - x[target]
            correct[m] = argmax == target ? 1 : 0
            guard let gradScale else { continue }
            let g = weights[m] * gradScale
            let inv = 1 / total
            let factor = inv * g
            forEachLane8(0..<V, lanes: { i in store8(exp8(load8(x + i) - shift) * factor, x + i) },
                         scalar: { i in x[i] = expf(x[i] - maxv) * factor })
            x[target] -= g
        }
    }
}
