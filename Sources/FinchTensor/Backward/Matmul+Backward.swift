/// Backward of `matmulForward` (out = inp @ weight^T + bias). Gradients accumulate (+=).
/// dout: (N, OC), inp: (N, C), weight: (OC, C) for `.outIn` or (C, OC) for `.inOut`.
/// dinp: (N, C) or nil; dweight: same shape as weight, or nil (frozen); dbias: (OC) or nil.
/// `overwriteDinp`: dinp = ... instead of += (the first writer of a fresh buffer; saves zeroing it).
/// All three products run in OpenBLAS (`gemm`) with beta = 1, which is what makes them accumulate.
public func matmulBackward(
    dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    N: Int, C: Int, OC: Int, layout: WeightLayout = .outIn, overwriteDinp: Bool = false
) {
    if let dinp {
        // dinp (N,C) += dout (N,OC) @ W (OC,C)   [outIn]   or   dout @ W^T with W (C,OC)   [inOut]
        let ldw = layout == .outIn ? C : OC
        gemm(transA: false, transB: layout == .inOut, M: N, N: C, K: OC, alpha: 1, A: dout, lda: OC, B: weight, ldb: ldw,
             beta: overwriteDinp ? 0 : 1, C: dinp, ldc: C)
    }
    if let dweight {
        switch layout {
        case .outIn:
            // dW (OC,C) += dout^T (OC,N) @ inp (N,C)
            gemm(transA: true, transB: false, M: OC, N: C, K: N, alpha: 1, A: dout, lda: OC, B: inp, ldb: C,
                 beta: 1, C: dweight, ldc: C)
        case .inOut:
            // dW (C,OC) += inp^T (C,N) @ dout (N,OC)
            gemm(transA: true, transB: false, M: C, N: OC, K: N, alpha: 1, A: inp, lda: C, B: dout, ldb: OC,
                 beta: 1, C: dweight, ldc: OC)
        }
    }
    if let dbias {
        // dbias (OC) += sum over rows of dout; parallel over output channels (deterministic order per channel)
        parallelFor(OC, minChunk: 64) { cols in
            for n in 0..<N {
                let row = dout + n * OC
                var o = cols.lowerBound
                while o + 8 <= cols.upperBound {
                    store8(load8(dbias + o) + load8(row + o), dbias + o)
                    o += 8
                }
                while o < cols.upperBound {
                    dbias[o] += row[o]
                    o += 1
                }
            }
        }
    }
}

/// Sets `n` gradient values to zero (llm.c's explicit zeroGrad before each accumulation window).
public func zeroGrad(_ grad: UnsafeMutablePointer<Float>, _ n: Int) {
    grad.update(repeating: 0, count: n)
}

extension Tensor {
    /// Zeroes every element (a gradient buffer before accumulation).
    public func zeroGrad() { fill(0) }
}
