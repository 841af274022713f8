import CBLAS

/// out += inp @ weight^T (no bias): the second term of a LoRA layer, added onto the base output.
/// inp: (N, C), weight: (OC, C) for `.outIn` or (C, OC) for `.inOut`, out: (N, OC).
public func matmulAccumulateForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    N: Int, C: Int, OC: Int, layout: WeightLayout = .outIn
) {
    let ldb = layout == .outIn ? C : OC
    gemm(transA: false, transB: layout == .outIn, M: N, N: OC, K: C, alpha: 1, A: inp, lda: C, B: weight, ldb: ldb,
         beta: 1, C: out, ldc: OC)
}
