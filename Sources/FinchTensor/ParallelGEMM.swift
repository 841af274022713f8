import CBLAS

/// Row-major C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C, with op(X) = Xᵀ when `transX`.
///
/// The engine's workers run the GEMM themselves: the output is cut into one block of rows or columns per
/// worker and each block is one single-threaded OpenBLAS call. OpenBLAS's own threads would otherwise spin
/// (`sched_yield`) between calls on the cores our parallel-for needs for the kernels that run between
/// GEMMs. The cut goes across the dimension whose split repacks the smaller operand: every worker packs
/// the whole of the operand that is not split. Each output element is then computed by one call, with the
/// same K order as an unsplit call, so results do not depend on the worker count.
///
/// A product whose K dwarfs both M and N (the LM head's input gradient: 49152 vocabulary rows reduced
/// into a few hundred × 576) is cut along K instead: each worker multiplies its slice of K into its own
/// partial, and the partials are added to C in worker order — deterministic for a given worker count.
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
    if workers > 1, flops >= GEMMSplit.minFlops, K >= GEMMSplit.kSplitRatio * max(M, N) {
        gemmSplitK(transA: transA, transB: transB, M: M, N: N, K: K, alpha: alpha, A: A, lda: lda, B: B, ldb: ldb,
                   beta: beta, C: C, ldc: ldc, parts: workers)
        return
    }
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

/// `gemm` cut along K into `parts` slices; see there.
private func gemmSplitK(
    transA: Bool, transB: Bool, M: Int, N: Int, K: Int, alpha: Float,
    A: UnsafePointer<Float>, lda: Int, B: UnsafePointer<Float>, ldb: Int,
    beta: Float, C: UnsafeMutablePointer<Float>, ldc: Int, parts: Int
) {
    let ta = transA ? CblasTrans : CblasNoTrans, tb = transB ? CblasTrans : CblasNoTrans
    let chunk = (K + parts - 1) / parts
    // partial p (M, N) = alpha · op(A)[:, slice p] · op(B)[slice p, :]
    let partials = UnsafeMutablePointer<Float>.allocate(capacity: parts * M * N)
    defer { partials.deallocate() }
    parallelForEach(parts) { p in
        let lo = p * chunk, hi = min(K, lo + chunk)
        let out = partials + p * M * N
        guard lo < hi else {
            out.update(repeating: 0, count: M * N)
            return
        }
        let a = transA ? A + lo * lda : A + lo
        let b = transB ? B + lo : B + lo * ldb
        cblas_sgemm(CblasRowMajor, ta, tb, Int32(M), Int32(N), Int32(hi - lo), alpha, a, Int32(lda), b, Int32(ldb),
                    0, out, Int32(N))
    }
    // C = beta · C + Σ_p partial p, parts added in order
    parallelFor(M, minChunk: max(1, 4096 / max(N, 1))) { rows in
        for m in rows {
            let c = C + m * ldc
            if beta == 0 {
                c.update(from: partials + m * N, count: N)
            } else {
                if beta != 1 { for n in 0..<N { c[n] *= beta } }
                axpy(1, partials + m * N, c, N)
            }
            for p in 1..<parts { axpy(1, partials + p * M * N + m * N, c, N) }
        }
    }
}

enum GEMMSplit {
    /// K at least this many times max(M, N): cut along K (see `gemm`).
    static let kSplitRatio = 16
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
