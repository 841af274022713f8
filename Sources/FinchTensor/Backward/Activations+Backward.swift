import Foundation

/// Backward of `residualForward` for one branch: dinp += dout, N values.
/// (The residual stream's gradient flows unchanged to both inputs; the trunk keeps its own buffer.)
public func residualBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, N: Int) {
    parallelFor(N, minChunk: 1 << 14) { r in
        axpy(1, dout + r.lowerBound, dinp + r.lowerBound, r.count)
    }
}

/// Backward of `swigluForward` (out = silu(gate) * up).
/// dout, gate, up: N values (the forward inputs, before the in-place overwrite); dgate, dup += ...,
/// or = ... with `accumulate: false` (fresh buffers, which then need no zeroing).
/// silu'(g) = s (1 + g (1 - s)) with s = sigmoid(g).
public func swigluBackward(
    dgate: UnsafeMutablePointer<Float>, dup: UnsafeMutablePointer<Float>,
    dout: UnsafePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int, accumulate: Bool = true
) {
    parallelFor(N, minChunk: 1 << 13) { r in
        forEachLane8(r, lanes: { i in
            let g = load8(gate + i), d = load8(dout + i)
            let s = 1 / (1 + exp8(-g))
            // when overwriting, the old values are not read at all: the buffer may hold anything, even NaN
            let oldUp = accumulate ? load8(dup + i) : .zero, oldGate = accumulate ? load8(dgate + i) : .zero
            store8(oldUp + d * (g * s), dup + i)
            store8(oldGate + d * load8(up + i) * s * (1 + g * (1 - s)), dgate + i)
        }, scalar: { i in
            let g = gate[i]
            let s = 1 / (1 + expf(-g))
            let silu = g * s
            dup[i] = (accumulate ? dup[i] : 0) + dout[i] * silu
            dgate[i] = (accumulate ? dgate[i] : 0) + dout[i] * up[i] * s * (1 + g * (1 - s))
        })
    }
}

/// Backward of `geluForward` (tanh approximation). dout, inp: N values; dinp += ....
public func geluBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
    let s = Float((2.0 / Double.pi).squareRoot())
    parallelFor(N, minChunk: 1 << 13) { r in
        for i in r {
            let x = inp[i]
            let cube = 0.044715 * x * x * x
            let th = tanhf(s * (x + cube))
            let sech2 = 1 - th * th
            let local = 0.5 * (1 + th) + 0.5 * x * sech2 * s * (1 + 3 * 0.044715 * x * x)
            dinp[i] += local * dout[i]
        }
    }
}

/// Backward of `scaleForward`: dinp += dout * scale, N values.
public func scaleBackward(dinp: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>, scale: Float, N: Int) {
    parallelFor(N, minChunk: 1 << 14) { r in
        axpy(scale, dout + r.lowerBound, dinp + r.lowerBound, r.count)
    }
}
