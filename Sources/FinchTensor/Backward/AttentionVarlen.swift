import CBLAS
import Foundation

/// Causal attention over packed variable-length sequences (training batches without padding).
///
/// The N tokens of a batch are laid out back to back; sequence s covers tokens
/// `cuSeqlens[s] ..< cuSeqlens[s+1]` and a query only sees earlier keys of its own sequence, so
/// attention never crosses example boundaries and no work is spent on padding.
/// q: (N,NH,hd), k, v: (N,NKV,hd), out: (N,NH,hd). Query head h reads key/value head h / (NH/NKV).
/// att: the softmax probabilities saved for the backward pass, sequence by sequence as (NH,Ls,Ls)
/// blocks (row t holds keys 0...t, the rest zero); `attentionVarlenProbCount` gives its size.
///
/// Each (sequence, head) is two small GEMMs on the calling worker — scores = scale·Q·Kᵀ written straight
/// into its probability block, then out = P·V — with the causal softmax in between. The scores above the
/// diagonal are computed and then zeroed: a square GEMM runs several times faster than the dot products
/// a triangle would need, so the wasted half is the cheaper choice.
public func attentionVarlenForward(
    out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    cuSeqlens: [Int], NH: Int, NKV: Int, hd: Int, scale: Float
) {
    precondition(NKV > 0 && NH % NKV == 0, "NH must be a multiple of NKV")
    let layout = VarlenLayout(cuSeqlens: cuSeqlens, NH: NH)
    let group = NH / NKV
    Threads.configureBLAS()
    parallelForEach((cuSeqlens.count - 1) * NH) { item in
        let s = item / NH, h = item % NH, kvh = h / group
        let start = cuSeqlens[s], L = cuSeqlens[s + 1] - start
        guard L > 0 else { return }
        let p = att + layout.probOffset[s] + h * L * L
        let qh = q + (start * NH + h) * hd, kh = k + (start * NKV + kvh) * hd, vh = v + (start * NKV + kvh) * hd
        // P (L,L) = scale · Q_h (L,hd) · K_hᵀ (hd,L), then the causal softmax row by row
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(L), Int32(L), Int32(hd), scale,
                    qh, Int32(NH * hd), kh, Int32(NKV * hd), 0, p, Int32(L))
        for t in 0..<L { causalSoftmaxRow(p + t * L, visible: t + 1, length: L) }
        // out_h (L,hd) = P (L,L) · V_h (L,hd)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(L), Int32(hd), Int32(L), 1,
                    p, Int32(L), vh, Int32(NKV * hd), 0, out + (start * NH + h) * hd, Int32(NH * hd))
    }
}

/// Softmax over the first `visible` entries of a row of scores, in place; the rest of the row becomes zero.
@inline(__always)
private func causalSoftmaxRow(_ p: UnsafeMutablePointer<Float>, visible: Int, length: Int) {
    var maxScore = -Float.infinity
    for j in 0..<visible { maxScore = max(maxScore, p[j]) }
    var sums = SIMD8<Float>(repeating: 0)
    var tail: Float = 0
    let shift = SIMD8<Float>(repeating: maxScore)
    forEachLane8(0..<visible, lanes: { j in
        let e = exp8(load8(p + j) - shift)
        store8(e, p + j)
        sums += e
    }, scalar: { j in
        let e = expf(p[j] - maxScore)
        p[j] = e
        tail += e
    })
    let inv = 1 / (sums.sum() + tail)
    for j in 0..<visible { p[j] *= inv }
    (p + visible).update(repeating: 0, count: length - visible)
}

/// Backward of `attentionVarlenForward`. dout: (N,NH,hd); q, k, v, att as saved by the forward pass.
/// dq: (N,NH,hd), dk, dv: (N,NKV,hd), all accumulated (+=).
///
/// With P the probabilities and S the scaled scores, per (sequence, head), as GEMMs:
///   dP = dO·Vᵀ,  dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale,  dQ += dS·K,  dK += dSᵀ·Q,  dV += Pᵀ·dO.
/// P is zero above the diagonal, so dS is too. Work is split by (sequence, key/value head): each item
/// owns its dk/dv rows and the dq rows of its query heads, and adds its heads in order, so there are
/// no races and the summation order does not depend on which worker runs it.
public func attentionVarlenBackward(
    dq: UnsafeMutablePointer<Float>, dk: UnsafeMutablePointer<Float>, dv: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    att: UnsafePointer<Float>, cuSeqlens: [Int], NH: Int, NKV: Int, hd: Int, scale: Float
) {
    let layout = VarlenLayout(cuSeqlens: cuSeqlens, NH: NH)
    let group = NH / NKV
    Threads.configureBLAS()
    let ldq = Int32(NH * hd), ldk = Int32(NKV * hd), HD = Int32(hd)
    parallelForEach((cuSeqlens.count - 1) * NKV) { item in
        let s = item / NKV, kvh = item % NKV
        let start = cuSeqlens[s], L = cuSeqlens[s + 1] - start
        guard L > 0 else { return }
        let dS = UnsafeMutablePointer<Float>.allocate(capacity: L * L)
        defer { dS.deallocate() }
        let kh = k + (start * NKV + kvh) * hd, vh = v + (start * NKV + kvh) * hd
        let dkh = dk + (start * NKV + kvh) * hd, dvh = dv + (start * NKV + kvh) * hd
        let n = Int32(L)
        for h in (kvh * group)..<((kvh + 1) * group) {
            let p = att + layout.probOffset[s] + h * L * L
            let go = dout + (start * NH + h) * hd, qh = q + (start * NH + h) * hd
            // dP (L,L) = dO_h (L,hd) · V_hᵀ
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, n, HD, 1, go, ldq, vh, ldk, 0, dS, n)
            for t in 0..<L {
                let pr = p + t * L, dr = dS + t * L
                let pdp = dot(pr, dr, t + 1)
                let visible = t + 1
                var j = 0
                let vs = SIMD8<Float>(repeating: scale), vpdp = SIMD8<Float>(repeating: pdp)
                while j + 8 <= visible {
                    store8(load8(pr + j) * (load8(dr + j) - vpdp) * vs, dr + j)
                    j += 8
                }
                while j < visible {
                    dr[j] = pr[j] * (dr[j] - pdp) * scale
                    j += 1
                }
                (dr + visible).update(repeating: 0, count: L - visible)
            }
            // dQ_h += dS · K_h;  dK_h += dSᵀ · Q_h;  dV_h += Pᵀ · dO_h
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, HD, n, 1, dS, n, kh, ldk, 1,
                        dq + (start * NH + h) * hd, ldq)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, HD, n, 1, dS, n, qh, ldq, 1, dkh, ldk)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, HD, n, 1, p, n, go, ldq, 1, dvh, ldk)
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
