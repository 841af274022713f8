import FinchTensor
import Testing

/// Finite-difference gradient check: L(inputs) = sum(forward(inputs) * R) for a fixed random R.
/// `backward(inputs, R)` returns dL/d(input) for each input (accumulated into zeroed buffers).
/// Central differences in fp32 with step `h`; returns the largest error relative to the gradient's scale.
func gradCheck(
    inputs: [[Float]], seed: UInt64 = 7, h: Float = 1e-2,
    forward: ([[Float]]) -> [Float],
    backward: ([[Float]], [Float]) -> [[Float]]
) -> Float {
    var rng = SeededRandom(state: seed)
    let out0 = forward(inputs)
    let r = rng.array(out0.count)
    func loss(_ xs: [[Float]]) -> Double {
        zip(forward(xs), r).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }
    let analytic = backward(inputs, r)
    var worst: Float = 0
    for (which, x) in inputs.enumerated() {
        let g = analytic[which]
        let scale = max(g.map(abs).max() ?? 0, 1e-3)
        // probe up to 24 coordinates per input (all of them for small inputs)
        let stride = max(1, x.count / 24)
        for i in Swift.stride(from: 0, to: x.count, by: stride) {
            var plus = inputs, minus = inputs
            plus[which][i] += h
            minus[which][i] -= h
            let numeric = Float((loss(plus) - loss(minus)) / Double(2 * h))
            worst = max(worst, abs(numeric - g[i]) / scale)
        }
    }
    return worst
}

/// Runs `body` with mutable pointers to copies of `arrays` and returns the copies afterwards.
func withBuffers(_ arrays: [[Float]], _ body: ([UnsafeMutablePointer<Float>]) -> Void) -> [[Float]] {
    let tensors = arrays.map { Tensor(shape: [$0.count], values: $0) }
    body(tensors.map(\.ptr))
    return tensors.map { $0.toArray() }
}
