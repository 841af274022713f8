import Foundation

/// Causal attention over packed variable-length sequences (training batches without padding).
///
/// The N tokens of a batch are laid out back to back; sequence s covers tokens
/// `cuSeqlens[s] ..< cuSeqlens[s+1]` and a query only sees earlier keys of its own sequence, so
/// attention never crosses example boundaries and no work is spent on padding or masked pairs.
/// q: (N,NH,hd), k, v: (N,NKV,hd), out: (N,NH,hd). Query head h reads key/value head h / (NH/NKV).
/// att: the softmax probabilities saved for the backward pass, sequence by sequence as (NH,Ls,Ls)
/// blocks (row t holds keys 0...t, the rest zero); `attentionVarlenProbCount` gives its size.
public func attentionVarlenForward(
    out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    cuSeqlens: [Int], NH: Int, NKV: Int, hd: Int, scale: Float
) {
    precondition(NKV > 0 && NH % NKV == 0, "NH must be a multiple of NKV")
    let layout = VarlenLayout(cuSeqlens: cuSeqlens, NH: NH)
    let group = NH / NKV
    parallelFor(layout.N * NH, minChunk: 4) { range in
        for row in range {
            let n = row / NH, h = row % NH
            let s = layout.segment[n]
            let start = cuSeqlens[s], L = cuSeqlens[s + 1] - start
            let t = n - start
            let kvh = h / group
            let qv = q + (n * NH + h) * hd
            let o = out + (n * NH + h) * hd
            let p = att + layout.probOffset[s] + (h * L + t) * L
            var maxScore = -Float.infinity
            for j in 0...t {
                let sc = dot(qv, k + ((start + j) * NKV + kvh) * hd, hd) * scale
                p[j] = sc
                maxScore = max(maxScore, sc)
            }
            var sums = SIMD8<Float>(repeating: 0)
            var tail: Float = 0
            let shift = SIMD8<Float>(repeating: maxScore)
            forEachLane8(0..<(t + 1), lanes: { j in
                let e = exp8(load8(p + j) - shift)
                store8(e, p + j)
                sums += e
            }, scalar: { j in
                let e = expf(p[j] - maxScore)
                p[j] = e
                tail += e
            })
            let inv = 1 / (sums.sum() + tail)
            o.update(repeating: 0, count: hd)
            for j in 0...t {
                p[j] *= inv
                axpy(p[j], v + ((start + j) * NKV + kvh) * hd, o, hd)
            }
            (p + t + 1).update(repeating: 0, count: L - t - 1)
        }
    }
}

/// Backward of `attentionVarlenForward`. dout: (N,NH,hd); q, k, v, att as saved by the forward pass.
/// dq: (N,NH,hd), dk, dv: (N,NKV,hd), all accumulated (+=).
///
/// With P the probabilities and S the scaled scores:
///   dV_j += sum_t P_tj dout_t,  dP_tj = dout_t . v_j,  dS_tj = P_tj (dP_tj - sum_j' P_tj' dP_tj'),
///   dq_t += scale sum_j dS_tj k_j,  dk_j += scale sum_t dS_tj q_t.
/// Work is split by (sequence, key/value head): each item owns its dk/dv rows and the dq rows of
/// its query heads, so there are no races and the summation order is fixed.
public func attentionVarlenBackward(
    dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    att: UnsafePointer<Float>, cuSeqlens: [Int], NH: Int, NKV: Int, hd: Int, scale: Float
) {
    let layout = VarlenLayout(cuSeqlens: cuSeqlens, NH: NH)
    let group = NH / NKV
    let S = cuSeqlens.count - 1
    let maxL = (0..<S).map { cuSeqlens[$0 + 1] - cuSeqlens[$0] }.max() ?? 0
    parallelFor(S * NKV, minChunk: 1) { range in
        let dS = UnsafeMutablePointer<Float>.allocate(capacity: max(maxL, 1))
        defer { dS.deallocate() }
        for item in range {
            let s = item / NKV, kvh = item % NKV
            let start = cuSeqlens[s], L = cuSeqlens[s + 1] - start
            for h in (kvh * group)..<((kvh + 1) * group) {
                for t in 0..<L {
                    let n = start + t
                    let go = dout + (n * NH + h) * hd
                    let p = att + layout.probOffset[s] + (h * L + t) * L
                    var pdp: Float = 0
                    for j in 0...t {
                        let vj = v + ((start + j) * NKV + kvh) * hd
                        let dp = dot(go, vj, hd)
                        dS[j] = dp
                        pdp += p[j] * dp
                        axpy(p[j], go, dv + ((start + j) * NKV + kvh) * hd, hd)
                    }
                    let qv = q + (n * NH + h) * hd
                    let dqv = dq + (n * NH + h) * hd
                    for j in 0...t {
                        let ds = p[j] * (dS[j] - pdp) * scale
                        if ds == 0 { continue }
                        axpy(ds, k + ((start + j) * NKV + kvh) * hd, dqv, hd)
                        axpy(ds, qv, dk + ((start + j) * NKV + kvh) * hd, hd)
                    }
                }
            }
        }
    }
}

/// Floats needed for the saved probabilities of `attentionVarlenForward`: sum over sequences of NH*Ls^2.
public func attentionVarlenProbCount(cuSeqlens: [Int], NH: Int) -> Int {
    var total = 0
    for s in 0..<(cuSeqlens.count - 1) {
        let L = cuSeqlens[s + 1] - cuSeqlens[s]
        total += NH * L * L
    }
    return total
}

/// Token -> sequence index and each sequence's offset into the probability buffer.
struct VarlenLayout {
    let N: Int
    let segment: [Int]
    let probOffset: [Int]

    init(cuSeqlens: [Int], NH: Int) {
        precondition(cuSeqlens.first == 0, "cuSeqlens must start at 0")
        N = cuSeqlens.last ?? 0
        var segment = [Int](repeating: 0, count: N)
        var probOffset = [Int]()
        var off = 0
        for s in 0..<(cuSeqlens.count - 1) {
            precondition(cuSeqlens[s + 1] >= cuSeqlens[s], "cuSeqlens must be non-decreasing")
            for n in cuSeqlens[s]..<cuSeqlens[s + 1] { segment[n] = s }
            probOffset.append(off)
            let L = cuSeqlens[s + 1] - cuSeqlens[s]
            off += NH * L * L
        }
        self.segment = segment
        self.probOffset = probOffset
    }
}
