import FinchTensor
import Foundation
import Testing

/// Row-major (rows, inner) · (inner, cols) in Double, with a stride function for each operand.
private func naiveProduct(rows: Int, inner: Int, cols: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float) -> [Float] {
    var out = [Float](repeating: 0, count: rows * cols)
    for i in 0..<rows {
        for j in 0..<cols {
            var s = 0.0
            for k in 0..<inner { s += Double(a(i, k)) * Double(b(k, j)) }
            out[i * cols + j] = Float(s)
        }
    }
    return out
}

@Suite("Rank-r kernels of LoRA training against Double references")
struct LowRankKernelTests {
    // odd N (row pairs and quads with a remainder), M with 16/32/64-column tails, two rank blocks
    static let shapes = [(N: 1, M: 5, r: 8), (N: 7, M: 33, r: 8), (N: 426, M: 576, r: 8), (N: 53, M: 1536, r: 16),
                         (N: 130, M: 200, r: 8), (N: 3, M: 64, r: 24)]

    @Test("project: y = alpha · x · wᵀ", arguments: shapes)
    func project(shape: (N: Int, M: Int, r: Int)) {
        let (N, M, r) = shape
        var rng = SeededRandom(state: UInt64(N * 1000 + M + r))
        let x = rng.array(N * M), w = rng.array(r * M)
        let expected = naiveProduct(rows: N, inner: M, cols: r, a: { x[$0 * M + $1] }, b: { w[$1 * M + $0] }).map { $0 * 0.5 }
        let y = withBuffers([[Float](repeating: .nan, count: N * r), x, w]) { p in
            lowRankProject(y: p[0], x: p[1], w: p[2], alpha: 0.5, N: N, M: M, r: r)
        }[0]
        #expect(maxDiff(y, expected) < 2e-5 * Float(M).squareRoot())
    }

    @Test("expand: y += u · w", arguments: shapes)
    func expand(shape: (N: Int, M: Int, r: Int)) {
        let (N, M, r) = shape
        var rng = SeededRandom(state: UInt64(N * 1000 + M + r + 1))
        let y0 = rng.array(N * M), u = rng.array(N * r), w = rng.array(r * M)
        let product = naiveProduct(rows: N, inner: r, cols: M, a: { u[$0 * r + $1] }, b: { w[$0 * M + $1] })
        let y = withBuffers([y0, u, w]) { p in lowRankExpand(y: p[0], u: p[1], w: p[2], N: N, M: M, r: r) }[0]
        #expect(maxDiff(y, zip(y0, product).map(+)) < 1e-5)
    }

    @Test("gradient: g += uᵀ · x, the same result for any number of calls summing it in parts", arguments: shapes)
    func gradient(shape: (N: Int, M: Int, r: Int)) {
        let (N, M, r) = shape
        var rng = SeededRandom(state: UInt64(N * 1000 + M + r + 2))
        let g0 = rng.array(r * M), u = rng.array(N * r), x = rng.array(N * M)
        let product = naiveProduct(rows: r, inner: N, cols: M, a: { u[$1 * r + $0] }, b: { x[$0 * M + $1] })
        let g = withBuffers([g0, u, x]) { p in lowRankGradient(g: p[0], u: p[1], x: p[2], N: N, M: M, r: r) }[0]
        #expect(maxDiff(g, zip(g0, product).map(+)) < 2e-5 * Float(N).squareRoot())
    }

    @Test("transposeInto gives Bᵀ; ranks that are not multiples of 8 are not taken")
    func transposeAndSupport() {
        let b: [Float] = [1, 2, 3, 4, 5, 6]  // (3, 2)
        let t = withBuffers([[Float](repeating: 0, count: 6), b]) { p in transposeInto(p[0], p[1], rows: 3, cols: 2) }[0]
        #expect(t == [1, 3, 5, 2, 4, 6])
        #expect(lowRankSupported(8) && lowRankSupported(64))
        #expect(!lowRankSupported(4) && !lowRankSupported(12) && !lowRankSupported(0))
    }
}
