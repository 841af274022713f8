import FinchTensor
import Foundation

/// AdamW exactly as `torch.optim.AdamW` (decoupled weight decay):
///   θ ← θ - lr·λ·θ;  m ← β1 m + (1-β1) g;  v ← β2 v + (1-β2) g²;
///   θ ← θ - lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)
public struct AdamWSettings: Codable, Sendable, Equatable {
    public var beta1: Double = 0.9
    public var beta2: Double = 0.999
    public var eps: Double = 1e-8
    /// λ, applied to matrices only (not to norms and biases).
    public var weightDecay: Double = 0.0

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, weightDecay: Double = 0.0) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
    }
}

/// Optimizer state: first and second moments per trainable parameter, and the step count.
public final class AdamW: @unchecked Sendable {
    public let settings: AdamWSettings
    public let m: [Tensor]
    public let v: [Tensor]
    /// Completed optimizer steps (t of the bias corrections).
    public internal(set) var t: Int = 0

    public init(parameters: [TrainableParameter], settings: AdamWSettings) {
        self.settings = settings
        m = parameters.map { Tensor(shape: $0.value.shape) }
        v = parameters.map { Tensor(shape: $0.value.shape) }
    }

    /// One update of every parameter with learning rate `lr`.
    public func step(_ parameters: [TrainableParameter], lr: Double) {
        t += 1
        let b1 = Float(settings.beta1), b2 = Float(settings.beta2), eps = Float(settings.eps)
        // as torch: step_size = lr / (1-β1^t), denom = sqrt(v) / sqrt(1-β2^t) + ε
        let stepSize = Float(lr / (1 - pow(settings.beta1, Double(t))))
        let c2sqrt = Float((1 - pow(settings.beta2, Double(t))).squareRoot())
        // Work items of at most `slice` elements across all parameters: a LoRA model has hundreds of small
        // tensors, which one parallel loop per tensor would leave to a single thread.
        let slice = 1 << 14
        var items: [(parameter: Int, range: Range<Int>)] = []
        for (i, p) in parameters.enumerated() {
            for lo in stride(from: 0, to: p.value.count, by: slice) { items.append((i, lo..<min(p.value.count, lo + slice))) }
        }
        parallelForEach(items.count) { item in
            let (i, r) = items[item]
            let p = parameters[i]
            let decay = p.decay ? Float(1 - lr * settings.weightDecay) : 1
            let theta = p.value.ptr, g = p.grad.ptr, mp = m[i].ptr, vp = v[i].ptr
            for j in r {
                theta[j] *= decay
                mp[j] += (1 - b1) * (g[j] - mp[j])
                vp[j] = b2 * vp[j] + (1 - b2) * g[j] * g[j]
                let denom = vp[j].squareRoot() / c2sqrt + eps
                theta[j] -= stepSize * mp[j] / denom
            }
        }
    }
}

/// Scales all gradients so their global L2 norm is at most `maxNorm` (torch.nn.utils.clip_grad_norm_:
/// coefficient maxNorm / (norm + 1e-6), capped at 1). Returns the norm before clipping.
@discardableResult
public func clipGradNorm(_ parameters: [TrainableParameter], maxNorm: Double) -> Double {
    // per-parameter sums in parallel, added in parameter order: the same total as a serial loop
    let sums = UnsafeMutablePointer<Double>.allocate(capacity: max(parameters.count, 1))
    defer { sums.deallocate() }
    parallelForEach(parameters.count) { i in
        var s = 0.0
        let g = parameters[i].grad.ptr
        for j in 0..<parameters[i].grad.count { s += Double(g[j]) * Double(g[j]) }
        sums[i] = s
    }
    var total = 0.0
    for i in 0..<parameters.count { total += sums[i] }
    let norm = total.squareRoot()
    guard maxNorm > 0 else { return norm }
    let coef = maxNorm / (norm + 1e-6)
    if coef < 1 {
        for p in parameters { scaleForward(out: p.grad.ptr, inp: p.grad.ptr, scale: Float(coef), N: p.grad.count) }
    }
    return norm
}

/// Linear warmup then linear decay to zero (transformers' `get_linear_schedule_with_warmup`).
public struct LinearSchedule: Codable, Sendable, Equatable {
    public var peak: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(peak: Double, warmupSteps: Int, totalSteps: Int) {
        self.peak = peak
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// The learning rate of the optimizer step taken after `completed` steps.
    public func learningRate(completed s: Int) -> Double {
        if s < warmupSteps { return peak * Double(s) / Double(max(1, warmupSteps)) }
        return peak * max(0, Double(totalSteps - s) / Double(max(1, totalSteps - warmupSteps)))
    }
}
