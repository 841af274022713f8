import CBLAS

/// out += inp @ weight^T (no bias): the second term of a LoRA layer, added onto the base output.
/// inp: (N, C), weight: (OC, C) for `.outIn` or (C, OC) for `.inOut`, out: (N, OC).
public func matmulAccumulateForward(
    out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    N: Int, C: Int, OC: Int, layout: WeightLayout = .outIn
) {
    Threads.configureBLAS()
    let transB = layout == .outIn ? CblasTrans : CblasNoTrans
    let ldb = layout == .outIn ? C : OC
    cblas_sgemm(CblasRowMajor, CblasNoTrans, transB, Int32(N), Int32(OC), Int32(C),
                1, inp, Int32(C), weight, Int32(ldb), 1, out, Int32(OC))
}
