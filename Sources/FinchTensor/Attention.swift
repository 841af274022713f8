import Foundation

/// Causal multi-head attention with grouped-query heads (GQA) and an optional key/value cache.
///
/// q: (B,T,NH,hd) for the T new positions, which sit at absolute positions past..<past+T.
/// k, v: (B,Tcap,NKV,hd); rows 0..<past+T are valid (the cache plus the new keys).
/// out: (B,T,NH,hd).
/// att: (B,NH,T,Tk) softmax probabilities with Tk = past+T, kept for the backward pass (may be nil).
/// docIds: (B,Tk) or nil: a query only sees keys of its own document (packed training batches).
/// Query head h reads key/value head h / (NH/NKV).
public func attentionForward(
    out: UnsafeMutablePointer<Float>, att: UnsafeMutablePointer<Float>?,
    q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>,
    docIds: UnsafePointer<Int32>?,
    B: Int, T: Int, past: Int, Tcap: Int, NH: Int, NKV: Int, hd: Int, scale: Float
) {
    precondition(NKV > 0 && NH % NKV == 0, "NH must be a multiple of NKV")
    precondition(past + T <= Tcap, "attention: cache too small")
    let Tk = past + T
    let group = NH / NKV
    parallelFor(B * NH * T, minChunk: 4) { range in
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: max(Tk, 1))
        defer { scores.deallocate() }
        for row in range {
            // row enumerates (b, t, h) so the output is written in (B,T,NH,hd) order
            let h = row % NH
            let t = (row / NH) % T
            let b = row / (NH * T)
            let kvh = h / group
            let tq = past + t
            let qv = q + ((b * T + t) * NH + h) * hd
            let o = out + ((b * T + t) * NH + h) * hd
            let myDoc = docIds.map { $0[b * Tk + tq] }
            var maxScore = -Float.infinity
            for j in 0...tq {
                if let docIds, docIds[b * Tk + j] != myDoc! {
                    scores[j] = -Float.infinity
                    continue
                }
                let s = dot(qv, k + ((b * Tcap + j) * NKV + kvh) * hd, hd) * scale
                scores[j] = s
                maxScore = max(maxScore, s)
            }
            var total: Float = 0
            for j in 0...tq {
                let e = scores[j] == -Float.infinity ? 0 : expf(scores[j] - maxScore)
                scores[j] = e
                total += e
            }
            let inv = 1 / total
            o.update(repeating: 0, count: hd)
            for j in 0...tq where scores[j] != 0 {
                let p = scores[j] * inv
                scores[j] = p
                axpy(p, v + ((b * Tcap + j) * NKV + kvh) * hd, o, hd)
            }
            if let att {
                // masked and future keys have probability 0
                let a = att + ((b * NH + h) * T + t) * Tk
                a.update(from: scores, count: tq + 1)
                (a + tq + 1).update(repeating: 0, count: Tk - tq - 1)
            }
        }
    }
}
