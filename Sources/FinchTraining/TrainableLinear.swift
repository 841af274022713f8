import FinchTensor

/// A linear projection in the training graph: a base weight (frozen, or trained in full fine-tuning)
/// and an optional LoRA adapter. out = inp @ W^T + b + s * dropout(inp) @ A^T @ B^T, with s = alpha / r.
/// Frozen tensors carry no gradient buffer.
public final class TrainableLinear: @unchecked Sendable {
    /// The HF module path, e.g. `model.layers.0.self_attn.q_proj`.
    public let name: String
    public let weight: Tensor
    public let bias: Tensor?
    public let layout: WeightLayout
    public let C: Int, OC: Int
    public internal(set) var dweight: Tensor?
    public internal(set) var dbias: Tensor?
    public internal(set) var lora: TrainableLoRA?

    init(name: String, weight: Tensor, bias: Tensor?, layout: WeightLayout) {
        self.name = name
        self.weight = weight
        self.bias = bias
        self.layout = layout
        C = layout == .outIn ? weight.shape[1] : weight.shape[0]
        OC = layout == .outIn ? weight.shape[0] : weight.shape[1]
    }

    /// What the forward pass keeps for the backward pass (besides the input, which the caller keeps).
    struct Saved {
        /// s * dropout(inp) @ A^T: (N, r)
        var u: Tensor?
        /// dropout(inp): (N, C), only when dropout > 0
        var dropped: Tensor?
        /// keep mask / (1 - p): (N, C), only when dropout > 0
        var mask: Tensor?
    }

    /// out: (N, OC) = this(inp: (N, C)). `rng` drives LoRA dropout, which is on only when `train`.
    func forward(out: Tensor, inp: Tensor, N: Int, train: Bool, rng: inout SplitMix64) -> Saved {
        matmulForward(out: out.ptr, inp: inp.ptr, weight: weight.ptr, bias: bias?.ptr, N: N, C: C, OC: OC, layout: layout)
        guard let lora else { return Saved() }
        var saved = Saved()
        var x = inp
        if train && lora.dropout > 0 {
            let mask = Tensor(shape: [N, C]), dropped = Tensor(shape: [N, C])
            let keep = 1 / (1 - lora.dropout)
            for i in 0..<(N * C) {
                let m: Float = rng.nextUnitFloat() < lora.dropout ? 0 : keep
                mask.ptr[i] = m
                dropped.ptr[i] = inp.ptr[i] * m
            }
            saved.mask = mask
            saved.dropped = dropped
            x = dropped
        }
        let u = Tensor(shape: [N, lora.rank])
        matmulForward(out: u.ptr, inp: x.ptr, weight: lora.a.ptr, bias: nil, N: N, C: C, OC: lora.rank)
        scaleForward(out: u.ptr, inp: u.ptr, scale: lora.scaling, N: N * lora.rank)
        matmulAccumulateForward(out: out.ptr, inp: u.ptr, weight: lora.b.ptr, N: N, C: lora.rank, OC: OC)
        saved.u = u
        return saved
    }

    /// dout: (N, OC), inp: (N, C) as given to `forward`; dinp: (N, C) += ... (nil: not needed), or = ... with
    /// `overwrite` (the first of the layers writing into a fresh gradient buffer).
    func backward(dinp: Tensor?, dout: Tensor, inp: Tensor, saved: Saved, N: Int, overwrite: Bool = false) {
        matmulBackward(dinp: dinp?.ptr, dweight: dweight?.ptr, dbias: dbias?.ptr, dout: dout.ptr, inp: inp.ptr,
                       weight: weight.ptr, N: N, C: C, OC: OC, layout: layout, overwriteDinp: overwrite)
        guard let lora, let u = saved.u else { return }
        // out += u @ B^T with u = s * x A^T:  dB += dout^T u,  du = dout @ B,  d(xA^T) = s * du
        let du = Tensor(shape: [N, lora.rank])
        matmulBackward(dinp: du.ptr, dweight: lora.db.ptr, dbias: nil, dout: dout.ptr, inp: u.ptr, weight: lora.b.ptr,
                       N: N, C: lora.rank, OC: OC)
        scaleForward(out: du.ptr, inp: du.ptr, scale: lora.scaling, N: N * lora.rank)
        let x = saved.dropped ?? inp
        if let mask = saved.mask {
            let dx = dinp.map { _ in Tensor(shape: [N, C]) }
            matmulBackward(dinp: dx?.ptr, dweight: lora.da.ptr, dbias: nil, dout: du.ptr, inp: x.ptr, weight: lora.a.ptr,
                           N: N, C: C, OC: lora.rank)
            if let dinp, let dx {
                for i in 0..<(N * C) { dinp.ptr[i] += dx.ptr[i] * mask.ptr[i] }
            }
        } else {
            matmulBackward(dinp: dinp?.ptr, dweight: lora.da.ptr, dbias: nil, dout: du.ptr, inp: x.ptr, weight: lora.a.ptr,
                           N: N, C: C, OC: lora.rank)
        }
    }
}

/// A LoRA pair for one projection, PEFT layout: A (r, C) = `lora_A.weight`, B (OC, r) = `lora_B.weight`.
public final class TrainableLoRA: @unchecked Sendable {
    public let a: Tensor, b: Tensor
    public let da: Tensor, db: Tensor
    public let rank: Int
    public let scaling: Float
    public let dropout: Float

    /// PEFT's default init: A ~ kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(C), 1/sqrt(C)), B = 0.
    init(C: Int, OC: Int, config: LoRAConfiguration, rng: inout SplitMix64) {
        rank = config.rank
        scaling = config.scaling
        dropout = Float(config.dropout)
        a = Tensor(shape: [rank, C])
        b = Tensor(shape: [OC, rank])
        da = Tensor(shape: [rank, C])
        db = Tensor(shape: [OC, rank])
        let bound = 1 / Float(C).squareRoot()
        for i in 0..<a.count { a.ptr[i] = (2 * rng.nextUnitFloat() - 1) * bound }
    }
}
