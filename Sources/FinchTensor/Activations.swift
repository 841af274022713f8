import Foundation

/// out = a + b, elementwise over N values (the residual stream: (B,T,C)). out may alias a.
public func residualForward(out: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, N: Int) {
    parallelFor(N, minChunk: 1 << 14) { r in
        var i = r.lowerBound
        while i + 8 <= r.upperBound {
            store8(load8(a + i) + load8(b + i), out + i)
            i += 8
        }
        while i < r.upperBound {
            out[i] = a[i] + b[i]
            i += 1
        }
    }
}

/// SwiGLU: out = silu(gate) * up, silu(x) = x / (1 + exp(-x)).
/// gate, up, out: (B,T,C) flattened to N values; out may alias gate or up.
public func swigluForward(out: UnsafeMutablePointer<Float>, gate: UnsafePointer<Float>, up: UnsafePointer<Float>, N: Int) {
    parallelFor(N, minChunk: 1 << 13) { r in
        forEachLane8(r, lanes: { i in
            let g = load8(gate + i)
            store8(g / (1 + exp8(-g)) * load8(up + i), out + i)
        }, scalar: { i in
            let g = gate[i]
            out[i] = g / (1 + expf(-g)) * up[i]
        })
    }
}

/// GELU, tanh approximation (GPT-2's `gelu_new`):
/// out = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). inp, out: N values; may alias.
public func geluForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, N: Int) {
    let s = Float((2.0 / Double.pi).squareRoot())
    parallelFor(N, minChunk: 1 << 13) { r in
        for i in r {
            let x = inp[i]
            out[i] = 0.5 * x * (1 + tanhf(s * (x + 0.044715 * x * x * x)))
        }
    }
}

/// Row-wise softmax: probs (N, V) = softmax(logits (N, V)); may alias.
public func softmaxForward(probs: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, N: Int, V: Int) {
    parallelFor(N, minChunk: 1) { rows in
        for n in rows {
            let x = logits + n * V
            let p = probs + n * V
            var m = -Float.infinity
            for i in 0..<V { m = max(m, x[i]) }
            var s: Float = 0
            for i in 0..<V {
                let e = expf(x[i] - m)
                p[i] = e
                s += e
            }
            let inv = 1 / s
            for i in 0..<V { p[i] *= inv }
        }
    }
}

/// out = inp * scale, N values; may alias.
public func scaleForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, scale: Float, N: Int) {
    parallelFor(N, minChunk: 1 << 14) { r in
        for i in r { out[i] = inp[i] * scale }
    }
}
