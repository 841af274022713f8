/// out += scale · (inp @ a^T) @ b^T — a LoRA update added to a linear layer's output without merging
/// it into the weight. inp: (N, C), a: (r, C), b: (OC, r), out: (N, OC), tmp: scratch of N·r floats.
/// With the rank r small this costs 2·N·r·(C + OC) flops next to the layer's N·C·OC. When decoding (N ≤ 2)
/// it is two skinny matrix-vector products per row, done here on the calling thread: a BLAS call per
/// product would cost more in thread hand-offs than the arithmetic (hundreds of calls per token).
public func lowRankForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
    a: UnsafePointer<Float>, b: UnsafePointer<Float>, scale: Float, tmp: UnsafeMutablePointer<Float>,
    N: Int, C: Int, OC: Int, r: Int
) {
    if N <= 2 {
        for n in 0..<N {
            // tmp (r) = scale · a (r, C) @ inp[n] (C); out[n] (OC) += b (OC, r) @ tmp (r)
            let x = inp + n * C, t = tmp + n * r, y = out + n * OC
            for k in 0..<r { t[k] = scale * dot(a + k * C, x, C) }
            for o in 0..<OC { y[o] += dot(b + o * r, t, r) }
        }
    } else {
        // tmp (N, r) = inp (N, C) @ a^T; out (N, OC) += scale · tmp @ b^T
        gemm(transA: false, transB: true, M: N, N: r, K: C, alpha: 1, A: inp, lda: C, B: a, ldb: C, beta: 0, C: tmp, ldc: r)
        gemm(transA: false, transB: true, M: N, N: OC, K: r, alpha: scale, A: tmp, lda: r, B: b, ldb: r, beta: 1, C: out, ldc: OC)
    }
}
