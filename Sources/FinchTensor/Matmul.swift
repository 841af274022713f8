import CBLAS

/// How a weight matrix is laid out in memory.
public enum WeightLayout: Sendable {
    /// (OC, C): PyTorch `nn.Linear` (Llama, Qwen).
    case outIn
    /// (C, OC): GPT-2's `Conv1D`.
    case inOut
}

/// out = inp @ weight^T + bias
/// inp: (N, C), weight: (OC, C) for `.outIn` or (C, OC) for `.inOut`, bias: (OC) or nil, out: (N, OC).
/// N is B*T. GEMM runs in OpenBLAS (`gemm`); the bias add is ours.
public func matmulForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
    N: Int, C: Int, OC: Int, layout: WeightLayout = .outIn
) {
    if N <= 2 {
        // Decoding: a matrix-vector product per row. sgemm would first pack the whole weight
        // matrix, doubling the memory traffic of a bandwidth-bound step.
        for n in 0..<N { gemv(out: out + n * OC, weight: weight, x: inp + n * C, C: C, OC: OC, layout: layout) }
    } else {
        let ldb = layout == .outIn ? C : OC
        gemm(transA: false, transB: layout == .outIn, M: N, N: OC, K: C, alpha: 1, A: inp, lda: C, B: weight, ldb: ldb,
             beta: 0, C: out, ldc: OC)
    }
    guard let bias else { return }
    parallelFor(N, minChunk: max(1, 16384 / max(OC, 1))) { rows in
        for n in rows { axpy(1, bias, out + n * OC, OC) }
    }
}

/// Tensor form of `matmulForward`: inp (..., C) -> out (..., OC).
public func matmulForward(
    out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor?, layout: WeightLayout = .outIn
) {
    precondition(weight.rank == 2, "matmul weight must be 2-D")
    let C = inp.shape.last ?? 0
    let OC = layout == .outIn ? weight.shape[0] : weight.shape[1]
    let wc = layout == .outIn ? weight.shape[1] : weight.shape[0]
    precondition(wc == C, "matmul: inp has C=\(C), weight \(weight.shape)")
    let N = inp.count / max(C, 1)
    precondition(out.count == N * OC, "matmul: out has \(out.count) elements, expected \(N * OC)")
    matmulForward(out: out.ptr, inp: inp.ptr, weight: weight.ptr, bias: bias?.ptr, N: N, C: C, OC: OC, layout: layout)
}
