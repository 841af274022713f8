/// Small vector helpers shared by the kernels: 8- and 16-wide SIMD with a scalar tail.

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

extension SIMD16 where Scalar == Float {
    /// self += a · b, as one fused multiply-add per lane.
    @inline(__always)
    mutating func addProduct(_ a: SIMD16<Float>, _ b: SIMD16<Float>) { self = self.addingProduct(a, b) }
}

/// sum_i a[i] * b[i]
@inline(__always)
public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc0 = SIMD8<Float>(repeating: 0)
    var acc1 = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 16 <= n {
        acc0 += load8(a + i) * load8(b + i)
        acc1 += load8(a + i + 8) * load8(b + i + 8)
        i += 16
    }
    if i + 8 <= n {
        acc0 += load8(a + i) * load8(b + i)
        i += 8
    }
    var s = (acc0 + acc1).sum()
    while i < n {
        s += a[i] * b[i]
        i += 1
    }
    return s
}

/// y[i] += alpha * x[i]
@inline(__always)
public func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let va = SIMD8<Float>(repeating: alpha)
    var i = 0
    while i + 8 <= n {
        store8(load8(y + i) + va * load8(x + i), y + i)
        i += 8
    }
    while i < n {
        y[i] += alpha * x[i]
        i += 1
    }
}

/// sum_i x[i]^2
@inline(__always)
func sumSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float { dot(x, x, n) }

/// sum_i x[i]
@inline(__always)
func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var i = 0
    while i + 8 <= n {
        acc += load8(x + i)
        i += 8
    }
    var s = acc.sum()
    while i < n {
        s += x[i]
        i += 1
    }
    return s
}
