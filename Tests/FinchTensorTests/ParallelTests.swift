import Dispatch
import FinchTensor
import Foundation
import Synchronization
import Testing

/// C = alpha · op(A) · op(B) + beta · C in Double, row-major with leading dimensions.
private func naiveGEMM(transA: Bool, transB: Bool, M: Int, N: Int, K: Int, alpha: Float, A: [Float], lda: Int,
                       B: [Float], ldb: Int, beta: Float, C: [Float], ldc: Int) -> [Float] {
    var out = C
    for m in 0..<M {
        for n in 0..<N {
            var s = 0.0
            for k in 0..<K {
                let a = transA ? A[k * lda + m] : A[m * lda + k]
                let b = transB ? B[n * ldb + k] : B[k * ldb + n]
                s += Double(a) * Double(b)
            }
            out[m * ldc + n] = Float(Double(alpha) * s + Double(beta) * Double(C[m * ldc + n]))
        }
    }
    return out
}

@Suite("Engine threading: split GEMMs and the worker pool")
struct ParallelTests {
    @Test("gemm split across workers equals the product: every transpose, rows, columns or K cut, odd sizes",
          arguments: [(7, 5, 3), (300, 40, 64), (40, 300, 64), (129, 1000, 33), (1000, 129, 17), (426, 8, 576), (8, 576, 426),
                     (30, 20, 2000), (119, 64, 4099)])
    func gemmSplits(shape: (Int, Int, Int)) {
        let (M, N, K) = shape
        var rng = SeededRandom(state: UInt64(M * 31 + N * 7 + K))
        for transA in [false, true] {
            for transB in [false, true] {
                // leading dimensions wider than the matrices, as when a GEMM writes into part of a buffer
                let lda = (transA ? M : K) + 3, ldb = (transB ? K : N) + 2, ldc = N + 5
                let A = rng.array((transA ? K : M) * lda), B = rng.array((transB ? N : K) * ldb)
                let C0 = rng.array(M * ldc)
                for (alpha, beta) in [(Float(1), Float(0)), (Float(0.5), Float(1))] {
                    let expected = naiveGEMM(transA: transA, transB: transB, M: M, N: N, K: K, alpha: alpha, A: A,
                                             lda: lda, B: B, ldb: ldb, beta: beta, C: C0, ldc: ldc)
                    let got = withBuffers([A, B, C0]) { p in
                        gemm(transA: transA, transB: transB, M: M, N: N, K: K, alpha: alpha, A: p[0], lda: lda,
                             B: p[1], ldb: ldb, beta: beta, C: p[2], ldc: ldc)
                    }[2]
                    #expect(maxDiff(got, expected) < 1e-4 * Float(K).squareRoot(), "\(transA) \(transB) \(alpha) \(beta)")
                }
            }
        }
    }

    @Test("gemv splits the output channels across workers, both weight layouts")
    func gemvSplits() {
        var rng = SeededRandom(state: 5)
        for (C, OC) in [(576, 1536), (1536, 576), (40, 30)] {
            let w = rng.array(C * OC), x = rng.array(C)
            let expected = Naive.matmul(x, w, nil, N: 1, C: C, OC: OC)
            let outIn = withBuffers([[Float](repeating: 0, count: OC), w, x]) { p in
                gemv(out: p[0], weight: p[1], x: p[2], C: C, OC: OC, layout: .outIn)
            }[0]
            #expect(maxDiff(outIn, expected) < 1e-4)
            // the same weight stored transposed, (C, OC)
            var wT = [Float](repeating: 0, count: C * OC)
            for o in 0..<OC { for c in 0..<C { wT[c * OC + o] = w[o * C + c] } }
            let inOut = withBuffers([[Float](repeating: 0, count: OC), wT, x]) { p in
                gemv(out: p[0], weight: p[1], x: p[2], C: C, OC: OC, layout: .inOut)
            }[0]
            #expect(maxDiff(inOut, expected) < 1e-4)
        }
    }

    @Test("parallelFor and parallelForEach visit every index once, thousands of times in a row")
    func everyIndexOnce() {
        let counts = Tensor(shape: [1000])
        for round in 0..<3000 {
            let n = 1 + round % 1000
            parallelFor(n) { r in for i in r { counts.ptr[i] += 1 } }
            parallelForEach(n) { i in counts.ptr[i] += 1 }
        }
        for i in 0..<1000 {
            // index i is visited by rounds whose n exceeds i, twice per round
            let rounds = (0..<3000).filter { 1 + $0 % 1000 > i }.count
            #expect(counts.ptr[i] == Float(2 * rounds))
        }
    }

    @Test("a parallelFor inside a part, and callers on several threads at once, all complete")
    func nestedAndConcurrentCallers() {
        let n = 64
        let nested = Tensor(shape: [n * n])
        parallelForEach(n) { i in
            parallelFor(n) { r in for j in r { nested.ptr[i * n + j] = Float(i * n + j) } }
        }
        #expect(nested.toArray() == (0..<(n * n)).map(Float.init))

        let total = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { caller in
            for _ in 0..<200 {
                let part = Tensor(shape: [257])
                parallelFor(257) { r in for i in r { part.ptr[i] = Float(caller) } }
                var s = 0
                for i in 0..<257 { s += Int(part.ptr[i]) }
                total.add(s, ordering: .relaxed)
            }
        }
        #expect(total.load(ordering: .relaxed) == 200 * 257 * (0..<8).reduce(0, +))
    }

    @Test("the pool's helpers wake up after sleeping")
    func wakesAfterSleep() async throws {
        let out = Tensor(shape: [4096])
        parallelFor(4096) { r in for i in r { out.ptr[i] = 1 } }
        try await Task.sleep(for: .milliseconds(50))  // longer than the helpers' spin: they are asleep now
        parallelFor(4096) { r in for i in r { out.ptr[i] += 1 } }
        #expect(out.toArray().allSatisfy { $0 == 2 })
    }
}
