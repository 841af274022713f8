import FinchTensor
import Foundation
import Testing

/// Causal varlen attention written out loop by loop in Double: the reference for the GEMM-based kernels.
private struct NaiveAttention {
    let cu: [Int], NH: Int, NKV: Int, hd: Int, scale: Double
    var group: Int { NH / NKV }

    func probabilities(q: [Float], k: [Float], s: Int, h: Int, t: Int) -> [Double] {
        let start = cu[s], n = start + t, kvh = h / group
        var scores = (0...t).map { j -> Double in
            var d = 0.0
            for i in 0..<hd { d += Double(q[(n * NH + h) * hd + i]) * Double(k[((start + j) * NKV + kvh) * hd + i]) }
            return d * scale
        }
        let m = scores.max()!
        scores = scores.map { exp($0 - m) }
        let total = scores.reduce(0, +)
        return scores.map { $0 / total }
    }

    func forward(q: [Float], k: [Float], v: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: q.count)
        for s in 0..<(cu.count - 1) {
            for h in 0..<NH {
                for t in 0..<(cu[s + 1] - cu[s]) {
                    let p = probabilities(q: q, k: k, s: s, h: h, t: t), n = cu[s] + t
                    for i in 0..<hd {
                        var o = 0.0
                        for j in 0...t { o += p[j] * Double(v[((cu[s] + j) * NKV + h / group) * hd + i]) }
                        out[(n * NH + h) * hd + i] = Float(o)
                    }
                }
            }
        }
        return out
    }

    func backward(q: [Float], k: [Float], v: [Float], dout: [Float]) -> (dq: [Float], dk: [Float], dv: [Float]) {
        var dq = [Double](repeating: 0, count: q.count), dk = [Double](repeating: 0, count: k.count)
        var dv = [Double](repeating: 0, count: v.count)
        for s in 0..<(cu.count - 1) {
            let start = cu[s]
            for h in 0..<NH {
                let kvh = h / group
                for t in 0..<(cu[s + 1] - start) {
                    let p = probabilities(q: q, k: k, s: s, h: h, t: t), n = start + t
                    let go = (0..<hd).map { Double(dout[(n * NH + h) * hd + $0]) }
                    let dp = (0...t).map { j in (0..<hd).reduce(0.0) { $0 + go[$1] * Double(v[((start + j) * NKV + kvh) * hd + $1]) } }
                    let pdp = zip(p, dp).reduce(0.0) { $0 + $1.0 * $1.1 }
                    for j in 0...t {
                        let ds = p[j] * (dp[j] - pdp) * scale
                        let kj = ((start + j) * NKV + kvh) * hd
                        for i in 0..<hd {
                            dv[kj + i] += p[j] * go[i]
                            dq[(n * NH + h) * hd + i] += ds * Double(k[kj + i])
                            dk[kj + i] += ds * Double(q[(n * NH + h) * hd + i])
                        }
                    }
                }
            }
        }
        return (dq.map(Float.init), dk.map(Float.init), dv.map(Float.init))
    }
}

@Suite("Varlen attention kernels against a loop-by-loop reference")
struct AttentionVarlenTests {
    @Test("SmolLM2's head shapes, sequences of 1 to 130 tokens, an empty one: outputs, probabilities, gradients")
    func modelShapes() {
        let cu = [0, 1, 18, 18, 71, 201], NH = 9, NKV = 3, hd = 64, N = cu.last!
        let scale = 1 / Float(hd).squareRoot()
        var rng = SeededRandom(state: 99)
        let q = rng.array(N * NH * hd).map { $0 * 3 }, k = rng.array(N * NKV * hd).map { $0 * 3 }
        let v = rng.array(N * NKV * hd), dout = rng.array(N * NH * hd)
        let probs = attentionVarlenProbCount(cuSeqlens: cu, NH: NH)
        let fwd = withBuffers([[Float](repeating: 0, count: N * NH * hd), [Float](repeating: .nan, count: probs), q, k, v]) { p in
            attentionVarlenForward(out: p[0], att: p[1], q: p[2], k: p[3], v: p[4], cuSeqlens: cu, NH: NH, NKV: NKV, hd: hd,
                                   scale: scale)
        }
        let naive = NaiveAttention(cu: cu, NH: NH, NKV: NKV, hd: hd, scale: Double(scale))
        #expect(maxDiff(fwd[0], naive.forward(q: q, k: k, v: v)) < 1e-5)
        // the saved probabilities: row t of each (head, sequence) block holds keys 0...t and zeros after
        var offset = 0
        for s in 0..<(cu.count - 1) {
            let L = cu[s + 1] - cu[s]
            for h in 0..<NH {
                for t in 0..<L {
                    let row = Array(fwd[1][(offset + (h * L + t) * L)..<(offset + (h * L + t + 1) * L)])
                    let expected = naive.probabilities(q: q, k: k, s: s, h: h, t: t).map(Float.init)
                        + [Float](repeating: 0, count: L - t - 1)
                    #expect(maxDiff(row, expected) < 1e-6)
                }
            }
            offset += NH * L * L
        }
        // gradients accumulate onto what the buffers hold
        let base = [rng.array(q.count), rng.array(k.count), rng.array(v.count)]
        let g = withBuffers(base + [dout, q, k, v, fwd[1]]) { p in
            attentionVarlenBackward(dq: p[0], dk: p[1], dv: p[2], dout: p[3], q: p[4], k: p[5], v: p[6], att: p[7],
                                    cuSeqlens: cu, NH: NH, NKV: NKV, hd: hd, scale: scale)
        }
        let ref = naive.backward(q: q, k: k, v: v, dout: dout)
        #expect(maxDiff(g[0], zip(base[0], ref.dq).map(+)) < 1e-4)
        #expect(maxDiff(g[1], zip(base[1], ref.dk).map(+)) < 1e-4)
        #expect(maxDiff(g[2], zip(base[2], ref.dv).map(+)) < 1e-4)
    }
}
