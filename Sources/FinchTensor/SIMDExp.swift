/// exp over 8 lanes: Cephes' single-precision polynomial (relative error ≤ 2 ulp on the clamped range), so
/// the activation and softmax kernels do not fall back to one libm `expf` call per value.

/// e^x for each lane; inputs are clamped to [-87.34, 88.38], where e^x is a normal float.
@inline(__always)
func exp8(_ input: SIMD8<Float>) -> SIMD8<Float> {
    // replace(with:where:) compiles to vmaxps/vminps; `clamped` calls a generic, lane-by-lane pointwiseMin/Max.
    var x = input
    x.replace(with: -87.336_54, where: x .< -87.336_54)
    x.replace(with: 88.376_26, where: x .> 88.376_26)
    // n = round(x / ln 2): adding 1.5·2^23 leaves the rounded integer in the low mantissa bits.
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let shifted = x * 1.442_695_04 + magic
    let n = shifted - magic
    // r = x - n ln 2, with ln 2 split in two so the product is exact.
    let r = x - n * 0.693_359_375 + n * 2.121_944_4e-4
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_95e-3
    p = p * r + 8.333_451_9e-3
    p = p * r + 4.166_579_59e-2
    p = p * r + 0.166_666_655
    p = p * r + 0.500_000_012
    p = p * (r * r) + r + 1
    // 2^n built from its exponent bits.
    let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
    return p * unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
}

/// Applies `lanes` to `0..<n` eight values at a time and `scalar` to the tail.
@inline(__always)
func forEachLane8(_ range: Range<Int>, lanes: (Int) -> Void, scalar: (Int) -> Void) {
    var i = range.lowerBound
    while i + 8 <= range.upperBound {
        lanes(i)
        i += 8
    }
    while i < range.upperBound {
        scalar(i)
        i += 1
    }
}
