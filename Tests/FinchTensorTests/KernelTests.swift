import FinchTensor
import Foundation
import Testing

/// Naive references for the hand-written kernels, in Double.
enum Naive {
    static func matmul(_ x: [Float], _ w: [Float], _ b: [Float]?, N: Int, C: Int, OC: Int) -> [Float] {
        var out = [Float](repeating: 0, count: N * OC)
        for n in 0..<N {
            for o in 0..<OC {
                var s = Double(b?[o] ?? 0)
                for c in 0..<C { s += Double(x[n * C + c]) * Double(w[o * C + c]) }
                out[n * OC + o] = Float(s)
            }
        }
        return out
    }
}

struct SeededRandom {
    var state: UInt64
    mutating func next() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
    }
    mutating func array(_ n: Int) -> [Float] { (0..<n).map { _ in next() } }
}

func maxDiff(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

@Suite("FinchTensor kernels")
struct KernelTests {
    @Test("matmul with bias equals a naive triple loop, both weight layouts")
    func matmul() {
        var rng = SeededRandom(state: 1)
        let N = 7, C = 33, OC = 19
        let x = rng.array(N * C), w = rng.array(OC * C), b = rng.array(OC)
        let out = Tensor(shape: [N, OC])
        matmulForward(out: out, inp: Tensor(shape: [N, C], values: x), weight: Tensor(shape: [OC, C], values: w),
                      bias: Tensor(shape: [OC], values: b))
        let ref = Naive.matmul(x, w, b, N: N, C: C, OC: OC)
        #expect(maxDiff(out.toArray(), ref) < 1e-5)
        // (C, OC) layout: transpose w
        var wt = [Float](repeating: 0, count: C * OC)
        for o in 0..<OC { for c in 0..<C { wt[c * OC + o] = w[o * C + c] } }
        matmulForward(out: out, inp: Tensor(shape: [N, C], values: x), weight: Tensor(shape: [C, OC], values: wt),
                      bias: Tensor(shape: [OC], values: b), layout: .inOut)
        #expect(maxDiff(out.toArray(), ref) < 1e-5)
    }

    @Test("rmsnorm and layernorm normalise each row")
    func norms() {
        var rng = SeededRandom(state: 2)
        let N = 5, C = 37
        let x = rng.array(N * C), w = rng.array(C), b = rng.array(C)
        let out = Tensor(shape: [N, C])
        let xt = Tensor(shape: [N, C], values: x), wt = Tensor(shape: [C], values: w), bt = Tensor(shape: [C], values: b)
        rmsnormForward(out: out.ptr, rstd: nil, inp: xt.ptr, weight: wt.ptr, N: N, C: C, eps: 1e-6)
        var ref = [Float]()
        for n in 0..<N {
            let row = x[(n * C)..<(n * C + C)].map(Double.init)
            let r = 1 / (row.map { $0 * $0 }.reduce(0, +) / Double(C) + 1e-6).squareRoot()
            ref += (0..<C).map { Float(row[$0] * r * Double(w[$0])) }
        }
        #expect(maxDiff(out.toArray(), ref) < 1e-5)
        layernormForward(out: out.ptr, mean: nil, rstd: nil, inp: xt.ptr, weight: wt.ptr, bias: bt.ptr, N: N, C: C, eps: 1e-5)
        ref = []
        for n in 0..<N {
            let row = x[(n * C)..<(n * C + C)].map(Double.init)
            let m = row.reduce(0, +) / Double(C)
            let v = row.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(C)
            ref += (0..<C).map { Float((row[$0] - m) / (v + 1e-5).squareRoot() * Double(w[$0]) + Double(b[$0])) }
        }
        #expect(maxDiff(out.toArray(), ref) < 1e-5)
    }

    @Test("causal attention with GQA equals the naive softmax(QK^T)V, and doc ids cut across examples")
    func attention() {
        var rng = SeededRandom(state: 3)
        let B = 2, T = 6, NH = 4, NKV = 2, hd = 8
        let q = rng.array(B * T * NH * hd), k = rng.array(B * T * NKV * hd), v = rng.array(B * T * NKV * hd)
        let docs: [Int32] = [0, 0, 0, 1, 1, 1, 5, 5, 5, 5, 5, 5]
        let out = Tensor(shape: [B, T, NH, hd])
        let att = Tensor(shape: [B, NH, T, T])
        let qt = Tensor(shape: [q.count], values: q), kt = Tensor(shape: [k.count], values: k), vt = Tensor(shape: [v.count], values: v)
        let scale = 1 / Float(hd).squareRoot()
        docs.withUnsafeBufferPointer { d in
            attentionForward(out: out.ptr, att: att.ptr, q: qt.ptr, k: kt.ptr, v: vt.ptr, docIds: d.baseAddress,
                             B: B, T: T, past: 0, Tcap: T, NH: NH, NKV: NKV, hd: hd, scale: scale)
        }
        var ref = [Float](repeating: 0, count: out.count)
        for b in 0..<B { for t in 0..<T { for h in 0..<NH {
            let kvh = h / (NH / NKV)
            let keys = (0...t).filter { docs[b * T + $0] == docs[b * T + t] }
            var s = keys.map { j -> Double in
                var d = 0.0
                for i in 0..<hd { d += Double(q[((b * T + t) * NH + h) * hd + i]) * Double(k[((b * T + j) * NKV + kvh) * hd + i]) }
                return d * Double(scale)
            }
            let m = s.max()!
            s = s.map { exp($0 - m) }
            let z = s.reduce(0, +)
            for i in 0..<hd {
                var acc = 0.0
                for (n, j) in keys.enumerated() { acc += s[n] / z * Double(v[((b * T + j) * NKV + kvh) * hd + i]) }
                ref[((b * T + t) * NH + h) * hd + i] = Float(acc)
            }
        } } }
        #expect(maxDiff(out.toArray(), ref) < 1e-5)
        // each probability row sums to one
        for r in 0..<(B * NH * T) {
            let s = (0..<T).map { att[flat: r * T + $0] }.reduce(0, +)
            #expect(abs(s - 1) < 1e-5)
        }
    }

    @Test("rope rotates pairs and preserves norms; llama3 scaling leaves high frequencies alone")
    func rope() {
        let hd = 8, NH = 1
        let inv = ropeInverseFrequencies(dim: hd, theta: 10000)
        #expect(abs(inv[1] - 1 / powf(10000, 0.25)) < 1e-7)
        let scaled = ropeInverseFrequencies(dim: 64, theta: 500000, llama3: .init(
            factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192))
        let plain = ropeInverseFrequencies(dim: 64, theta: 500000)
        #expect(scaled[0] == plain[0])
        #expect(abs(scaled[31] - plain[31] / 8) < 1e-12)
        let x = Tensor(shape: [1, hd], values: [1, 2, 3, 4, 5, 6, 7, 8])
        let cosT = Tensor(shape: [1, hd / 2]), sinT = Tensor(shape: [1, hd / 2])
        let pos: [Int32] = [3]
        pos.withUnsafeBufferPointer { p in
            inv.withUnsafeBufferPointer { f in
                ropeTables(cos: cosT.ptr, sin: sinT.ptr, positions: p.baseAddress!, invFreq: f.baseAddress!, N: 1, half: hd / 2)
            }
        }
        ropeForward(x: x.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: 1, NH: NH, hd: hd)
        let a = x.toArray()
        // pair (0, 4) rotated by angle 3 * inv[0] = 3
        #expect(abs(a[0] - (1 * cosf(3) - 5 * sinf(3))) < 1e-5)
        #expect(abs(a[4] - (5 * cosf(3) + 1 * sinf(3))) < 1e-5)
        #expect(abs(a.map { $0 * $0 }.reduce(0, +) - 204) < 1e-3)
    }

    @Test("swiglu, gelu, softmax and residual match their formulas")
    func pointwise() {
        let g: [Float] = [-2, -0.5, 0, 0.5, 3, 1, 2, -1, 4]
        let u: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let gt = Tensor(shape: [9], values: g), ut = Tensor(shape: [9], values: u), out = Tensor(shape: [9])
        swigluForward(out: out.ptr, gate: gt.ptr, up: ut.ptr, N: 9)
        #expect(maxDiff(out.toArray(), (0..<9).map { g[$0] / (1 + expf(-g[$0])) * u[$0] }) < 1e-6)
        geluForward(out: out.ptr, inp: gt.ptr, N: 9)
        let c = Float((2 / Double.pi).squareRoot())
        #expect(maxDiff(out.toArray(), g.map { 0.5 * $0 * (1 + tanhf(c * ($0 + 0.044715 * $0 * $0 * $0))) }) < 1e-6)
        softmaxForward(probs: out.ptr, logits: gt.ptr, N: 1, V: 9)
        let z = g.map { expf($0) }.reduce(0, +)
        #expect(maxDiff(out.toArray(), g.map { expf($0) / z }) < 1e-6)
        residualForward(out: out.ptr, a: gt.ptr, b: ut.ptr, N: 9)
        #expect(out.toArray() == zip(g, u).map { $0 + $1 })
    }

    @Test("parallelFor visits every index exactly once")
    func parallelForCovers() {
        let n = 10_001
        let hits = Tensor(shape: [n])
        parallelFor(n, minChunk: 10) { r in for i in r { hits[flat: i] += 1 } }
        #expect(hits.toArray().allSatisfy { $0 == 1 })
    }
}
