import CBLAS

/// Row-major C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C, with op(X) = Xᵀ when `transX`.
///
/// The engine's workers run the GEMM themselves: the output is cut into one block of rows or columns per
/// worker and each block is one single-threaded OpenBLAS call. OpenBLAS's own threads would otherwise spin
/// (`sched_yield`) between calls on the cores our parallel-for needs for the kernels that run between
/// GEMMs. The cut goes across the dimension whose split repacks the smaller operand: every worker packs
/// the whole of the operand that is not split. Each output element is computed by one call, with the
/// same K order as an unsplit call, so results do not depend on the worker count.
public func gemm(
    transA: Bool, transB: Bool, M: Int, N: Int, K: Int, alpha: Float,
    A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
    beta: Float, C: UnsafeMutablePointer<Float>, ldc: Int
) {
    guard M > 0, N > 0 else { return }
    Threads.configureBLAS()
    let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
    func call(_ m: Int, _ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(K), alpha, a, Int32(lda), b, Int32(ldb),
                    beta, c, Int32(ldc))
    }
    let workers = Threads.count
    let flops = 2 * M * N * K
    // Splitting the columns repacks A (M·K) in every worker, splitting the rows repacks B (K·N).
    let splitColumns = M * K <= K * N
    let extent = splitColumns ? N : M
    let align = splitColumns ? 16 : 8
    guard workers > 1, flops >= GEMMSplit.minFlops, extent >= 2 * align else {
        call(M, N, A, B, C)
        return
    }
    let parts = min(workers, extent / align)
    let chunk = ((extent + parts - 1) / parts + align - 1) / align * align
    let nParts = (extent + chunk - 1) / chunk
    parallelFor(nParts) { range in
        for p in range {
            let lo = p * chunk, hi = min(extent, lo + chunk)
            if splitColumns {
                // columns lo..<hi of op(B) and C
                let b = transB ? B + lo * ldb : B + lo
                call(M, hi - lo, A, b, C + lo)
            } else {
                // rows lo..<hi of op(A) and C
                let a = transA ? A + lo : A + lo * lda
                call(hi - lo, N, a, B, C + lo * ldc)
            }
        }
    }
}

enum GEMMSplit {
    /// Below this many flops a GEMM runs on the calling thread: handing half to a worker costs more.
    static let minFlops = 1 << 21
    /// A decoding GEMV is memory-bound: worth splitting once the weight outgrows a core's share of cache.
    static let minGEMVWeights = 1 << 17
}

/// out (OC) = W · x for one decoding row, the weight's output channels split across the workers.
/// weight: (OC, C) for `.outIn` or (C, OC) for `.inOut`, x: (C).
public func gemv(out: UnsafeMutablePointer<Float>, weight: UnsafePointer<Float>, x: UnsafePointer<Float>,
                 C: Int, OC: Int, layout: WeightLayout) {
    Threads.configureBLAS()
    func call(_ lo: Int, _ hi: Int) {
        switch layout {
        case .outIn:
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(hi - lo), Int32(C), 1, weight + lo * C, Int32(C), x, 1, 0,
                        out + lo, 1)
        case .inOut:
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(C), Int32(hi - lo), 1, weight + lo, Int32(OC), x, 1, 0,
                        out + lo, 1)
        }
    }
    guard Threads.count > 1, C * OC >= GEMMSplit.minGEMVWeights, OC >= 32 else {
        call(0, OC)
        return
    }
    let parts = Threads.count
    let chunk = ((OC + parts - 1) / parts + 15) / 16 * 16
    parallelFor((OC + chunk - 1) / chunk) { range in
        for p in range { call(p * chunk, min(OC, (p + 1) * chunk)) }
    }
}
