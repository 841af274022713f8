import CBLAS

/// Backward of `matmulForward` (out = inp @ weight^T + bias). Gradients accumulate (+=).
/// dout: (N, OC), inp: (N, C), weight: (OC, C) for `.outIn` or (C, OC) for `.inOut`.
/// dinp: (N, C) or nil; dweight: same shape as weight, or nil (frozen); dbias: (OC) or nil.
/// All three products run in OpenBLAS with beta = 1, which is what makes them accumulate.
public func matmulBackward(
    dinp: UnsafeMutablePointer<Float>?, dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    N: Int, C: Int, OC: Int, layout: WeightLayout = .outIn
) {
    Threads.configureBLAS()
    let n = Int32(N), c = Int32(C), oc = Int32(OC)
    if let dinp {
        // dinp (N,C) += dout (N,OC) @ W (OC,C)   [outIn]   or   dout @ W^T with W (C,OC)   [inOut]
        let transW = layout == .outIn ? CblasNoTrans : CblasTrans
        let ldw = layout == .outIn ? c : oc
        cblas_sgemm(CblasRowMajor, CblasNoTrans, transW, n, c, oc, 1, dout, oc, weight, ldw, 1, dinp, c)
    }
    if let dweight {
        switch layout {
        case .outIn:
            // dW (OC,C) += dout^T (OC,N) @ inp (N,C)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, oc, c, n, 1, dout, oc, inp, c, 1, dweight, c)
        case .inOut:
            // dW (C,OC) += inp^T (C,N) @ dout (N,OC)
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, c, oc, n, 1, inp, c, dout, oc, 1, dweight, oc)
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
