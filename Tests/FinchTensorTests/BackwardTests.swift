import FinchTensor
import Foundation
import Testing

@Suite("FinchTensor backward kernels (finite differences)")
struct BackwardTests {
    let tol: Float = 2e-2

    @Test("matmul backward gives dinp, dweight and dbias in both weight layouts")
    func matmul() {
        var rng = SeededRandom(state: 11)
        let N = 5, C = 7, OC = 6
        for layout in [WeightLayout.outIn, .inOut] {
            let err = gradCheck(inputs: [rng.array(N * C), rng.array(OC * C), rng.array(OC)]) { xs in
                withBuffers([[Float](repeating: 0, count: N * OC)] + xs) { p in
                    matmulForward(out: p[0], inp: p[1], weight: p[2], bias: p[3], N: N, C: C, OC: OC, layout: layout)
                }[0]
            } backward: { xs, dout in
                let z = xs.map { [Float](repeating: 0, count: $0.count) }
                let g = withBuffers(z + xs + [dout]) { p in
                    matmulBackward(dinp: p[0], dweight: p[1], dbias: p[2], dout: p[6], inp: p[3], weight: p[4],
                                   N: N, C: C, OC: OC, layout: layout)
                }
                return Array(g[0..<3])
            }
            #expect(err < tol)
        }
    }

    @Test("rmsnorm backward gives dinp and dweight")
    func rmsnorm() {
        var rng = SeededRandom(state: 12)
        let N = 4, C = 13
        let err = gradCheck(inputs: [rng.array(N * C), rng.array(C)]) { xs in
            withBuffers([[Float](repeating: 0, count: N * C)] + xs) { p in
                rmsnormForward(out: p[0], rstd: nil, inp: p[1], weight: p[2], N: N, C: C, eps: 1e-5)
            }[0]
        } backward: { xs, dout in
            let rstd = withBuffers([[Float](repeating: 0, count: N * C), [Float](repeating: 0, count: N)] + xs) { p in
                rmsnormForward(out: p[0], rstd: p[1], inp: p[2], weight: p[3], N: N, C: C, eps: 1e-5)
            }[1]
            let g = withBuffers([[Float](repeating: 0, count: N * C), [Float](repeating: 0, count: C)] + xs + [dout, rstd]) { p in
                rmsnormBackward(dinp: p[0], dweight: p[1], dout: p[4], inp: p[2], weight: p[3], rstd: p[5], N: N, C: C)
            }
            return [g[0], g[1]]
        }
        #expect(err < tol)
    }

    @Test("layernorm backward gives dinp, dweight and dbias")
    func layernorm() {
        var rng = SeededRandom(state: 13)
        let N = 4, C = 11
        let err = gradCheck(inputs: [rng.array(N * C), rng.array(C), rng.array(C)]) { xs in
            withBuffers([[Float](repeating: 0, count: N * C)] + xs) { p in
                layernormForward(out: p[0], mean: nil, rstd: nil, inp: p[1], weight: p[2], bias: p[3], N: N, C: C, eps: 1e-5)
            }[0]
        } backward: { xs, dout in
            let z = [Float](repeating: 0, count: N)
            let saved = withBuffers([[Float](repeating: 0, count: N * C), z, z] + xs) { p in
                layernormForward(out: p[0], mean: p[1], rstd: p[2], inp: p[3], weight: p[4], bias: p[5], N: N, C: C, eps: 1e-5)
            }
            let g = withBuffers(xs.map { [Float](repeating: 0, count: $0.count) } + xs + [dout, saved[1], saved[2]]) { p in
                layernormBackward(dinp: p[0], dweight: p[1], dbias: p[2], dout: p[6], inp: p[3], weight: p[4],
                                  mean: p[7], rstd: p[8], N: N, C: C)
            }
            return Array(g[0..<3])
        }
        #expect(err < tol)
    }

    @Test("swiglu and gelu backward match finite differences")
    func activations() {
        var rng = SeededRandom(state: 14)
        let N = 40
        let e1 = gradCheck(inputs: [rng.array(N).map { $0 * 3 }, rng.array(N)]) { xs in
            withBuffers([[Float](repeating: 0, count: N)] + xs) { p in
                swigluForward(out: p[0], gate: p[1], up: p[2], N: N)
            }[0]
        } backward: { xs, dout in
            let g = withBuffers([[Float](repeating: 0, count: N), [Float](repeating: 0, count: N)] + xs + [dout]) { p in
                swigluBackward(dgate: p[0], dup: p[1], dout: p[4], gate: p[2], up: p[3], N: N)
            }
            return [g[0], g[1]]
        }
        #expect(e1 < tol)
        let e2 = gradCheck(inputs: [rng.array(N).map { $0 * 3 }]) { xs in
            withBuffers([[Float](repeating: 0, count: N)] + xs) { p in geluForward(out: p[0], inp: p[1], N: N) }[0]
        } backward: { xs, dout in
            [withBuffers([[Float](repeating: 0, count: N)] + xs + [dout]) { p in
                geluBackward(dinp: p[0], dout: p[2], inp: p[1], N: N)
            }[0]]
        }
        #expect(e2 < tol)
    }

    @Test("rope backward is the inverse rotation, both layouts")
    func rope() {
        var rng = SeededRandom(state: 15)
        let BT = 3, NH = 2, hd = 8
        let inv = ropeInverseFrequencies(dim: hd, theta: 10000)
        let cosT = Tensor(shape: [BT, hd / 2]), sinT = Tensor(shape: [BT, hd / 2])
        let pos: [Int32] = [0, 5, 17]
        pos.withUnsafeBufferPointer { p in
            inv.withUnsafeBufferPointer { f in
                ropeTables(cos: cosT.ptr, sin: sinT.ptr, positions: p.baseAddress!, invFreq: f.baseAddress!, N: BT, half: hd / 2)
            }
        }
        for layout in [RopeLayout.neox, .gptj] {
            let err = gradCheck(inputs: [rng.array(BT * NH * hd)]) { xs in
                withBuffers(xs) { p in ropeForward(x: p[0], cos: cosT.ptr, sin: sinT.ptr, BT: BT, NH: NH, hd: hd, layout: layout) }[0]
            } backward: { _, dout in
                [withBuffers([dout]) { p in ropeBackward(dx: p[0], cos: cosT.ptr, sin: sinT.ptr, BT: BT, NH: NH, hd: hd, layout: layout) }[0]]
            }
            #expect(err < tol)
        }
    }

    @Test("varlen attention backward with GQA gives dq, dk and dv; sequences stay separate")
    func attention() {
        var rng = SeededRandom(state: 16)
        let cu = [0, 3, 8], N = 8, NH = 4, NKV = 2, hd = 4
        let scale: Float = 0.5
        let probs = attentionVarlenProbCount(cuSeqlens: cu, NH: NH)
        let err = gradCheck(inputs: [rng.array(N * NH * hd), rng.array(N * NKV * hd), rng.array(N * NKV * hd)]) { xs in
            withBuffers([[Float](repeating: 0, count: N * NH * hd), [Float](repeating: 0, count: probs)] + xs) { p in
                attentionVarlenForward(out: p[0], att: p[1], q: p[2], k: p[3], v: p[4], cuSeqlens: cu, NH: NH, NKV: NKV, hd: hd, scale: scale)
            }[0]
        } backward: { xs, dout in
            let att = withBuffers([[Float](repeating: 0, count: N * NH * hd), [Float](repeating: 0, count: probs)] + xs) { p in
                attentionVarlenForward(out: p[0], att: p[1], q: p[2], k: p[3], v: p[4], cuSeqlens: cu, NH: NH, NKV: NKV, hd: hd, scale: scale)
            }[1]
            let g = withBuffers(xs.map { [Float](repeating: 0, count: $0.count) } + xs + [dout, att]) { p in
                attentionVarlenBackward(dq: p[0], dk: p[1], dv: p[2], dout: p[6], q: p[3], k: p[4], v: p[5], att: p[7],
                                        cuSeqlens: cu, NH: NH, NKV: NKV, hd: hd, scale: scale)
            }
            return Array(g[0..<3])
        }
        #expect(err < tol)
        // the first sequence's outputs equal the padded (B,T) kernel's on that sequence alone
        let q = rng.array(N * NH * hd), k = rng.array(N * NKV * hd), v = rng.array(N * NKV * hd)
        let varlen = withBuffers([[Float](repeating: 0, count: N * NH * hd), [Float](repeating: 0, count: probs), q, k, v]) { p in
            attentionVarlenForward(out: p[0], att: p[1], q: p[2], k: p[3], v: p[4], cuSeqlens: cu, NH: NH, NKV: NKV, hd: hd, scale: scale)
        }[0]
        let single = withBuffers([[Float](repeating: 0, count: 5 * NH * hd), Array(q[(3 * NH * hd)...]), Array(k[(3 * NKV * hd)...]),
                                  Array(v[(3 * NKV * hd)...])]) { p in
            attentionForward(out: p[0], att: nil, q: p[1], k: p[2], v: p[3], docIds: nil, B: 1, T: 5, past: 0, Tcap: 5,
                             NH: NH, NKV: NKV, hd: hd, scale: scale)
        }[0]
        #expect(maxDiff(Array(varlen[(3 * NH * hd)...]), single) < 1e-5)
    }

    @Test("embedding backward adds rows into dwte and dwpe, repeated tokens accumulate")
    func embedding() {
        var rng = SeededRandom(state: 17)
        let V = 5, C = 6, maxT = 4, N = 6
        let tokens: [Int32] = [1, 3, 1, 0, 4, 1], pos: [Int32] = [0, 1, 2, 0, 1, 3]
        let err = gradCheck(inputs: [rng.array(V * C), rng.array(maxT * C)]) { xs in
            withBuffers([[Float](repeating: 0, count: N * C)] + xs) { p in
                tokens.withUnsafeBufferPointer { t in
                    pos.withUnsafeBufferPointer { ps in
                        encoderForward(out: p[0], tokens: t.baseAddress!, wte: p[1], wpe: p[2], positions: ps.baseAddress!, B: 1, T: N, C: C)
                    }
                }
            }[0]
        } backward: { xs, dout in
            let g = withBuffers(xs.map { [Float](repeating: 0, count: $0.count) } + [dout]) { p in
                tokens.withUnsafeBufferPointer { t in
                    pos.withUnsafeBufferPointer { ps in
                        encoderBackward(dwte: p[0], dwpe: p[1], dout: p[2], tokens: t.baseAddress!, positions: ps.baseAddress!, N: N, C: C)
                    }
                }
            }
            return [g[0], g[1]]
        }
        #expect(err < tol)
    }

    @Test("fused cross-entropy: losses, accuracy and weighted dlogits")
    func crossEntropy() {
        var rng = SeededRandom(state: 18)
        let M = 3, V = 9
        let targets: [Int32] = [2, 0, 8], weights: [Float] = [1, 0.5, 0.01]
        func losses(_ x: [Float]) -> (loss: [Float], correct: [Float], grad: [Float]) {
            let out = withBuffers([x, [Float](repeating: 0, count: M), [Float](repeating: 0, count: M)]) { p in
                targets.withUnsafeBufferPointer { t in
                    weights.withUnsafeBufferPointer { w in
                        crossEntropyForwardBackward(logits: p[0], losses: p[1], correct: p[2], targets: t.baseAddress!,
                                                    weights: w.baseAddress!, gradScale: 0.7, M: M, V: V)
                    }
                }
            }
            return (out[1], out[2], out[0])
        }
        let x = rng.array(M * V).map { $0 * 4 }
        let h: Float = 1e-2
        let g = losses(x).grad
        var worst: Float = 0
        for i in 0..<(M * V) {
            var p = x, m = x
            p[i] += h
            m[i] -= h
            let lp = losses(p).loss, lm = losses(m).loss
            let num = (0..<M).reduce(Float(0)) { $0 + (lp[$1] - lm[$1]) * weights[$1] * 0.7 } / (2 * h)
            worst = max(worst, abs(num - g[i]))
        }
        #expect(worst < 2e-3)
        let c = losses(x).correct
        for m in 0..<M {
            let row = x[(m * V)..<(m * V + V)]
            let am = row.firstIndex(of: row.max()!)! - m * V
            #expect(c[m] == (am == Int(targets[m]) ? 1 : 0))
        }
    }
}
