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
        /// Bᵀ: (r, OC), the layout the rank-r kernels read (when `lowRankSupported(r)`)
        var bT: Tensor?
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
        let r = lora.rank
        let u = Tensor.uninitialized(shape: [N, r])
        if lowRankSupported(r) {
            let bT = Tensor.uninitialized(shape: [r, OC])
            transposeInto(bT.ptr, lora.b.ptr, rows: OC, cols: r)
            lowRankProject(y: u.ptr, x: x.ptr, w: lora.a.ptr, alpha: lora.scaling, N: N, M: C, r: r)
            lowRankExpand(y: out.ptr, u: u.ptr, w: bT.ptr, N: N, M: OC, r: r)
            saved.bT = bT
        } else {
            matmulForward(out: u.ptr, inp: x.ptr, weight: lora.a.ptr, bias: nil, N: N, C: C, OC: r)
            scaleForward(out: u.ptr, inp: u.ptr, scale: lora.scaling, N: N * r)
            matmulAccumulateForward(out: out.ptr, inp: u.ptr, weight: lora.b.ptr, N: N, C: r, OC: OC)
        }
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
        let r = lora.rank
        let du = Tensor.uninitialized(shape: [N, r])
        let x = saved.dropped ?? inp
        if let bT = saved.bT {
            lowRankProject(y: du.ptr, x: dout.ptr, w: bT.ptr, alpha: lora.scaling, N: N, M: OC, r: r)
            // dBᵀ (r, OC) = uᵀ dout, added to dB (OC, r) transposed
            let dbT = Tensor(shape: [r, OC])
            lowRankGradient(g: dbT.ptr, u: u.ptr, x: dout.ptr, N: N, M: OC, r: r)
            let db = lora.db.ptr
            for o in 0..<OC { for k in 0..<r { db[o * r + k] += dbT.ptr[k * OC + o] } }
            lowRankGradient(g: lora.da.ptr, u: du.ptr, x: x.ptr, N: N, M: C, r: r)
            guard let dinp else { return }
            if let mask = saved.mask {
                let dx = Tensor(shape: [N, C])
                lowRankExpand(y: dx.ptr, u: du.ptr, w: lora.a.ptr, N: N, M: C, r: r)
                for i in 0..<(N * C) { dinp.ptr[i] += dx.ptr[i] * mask.ptr[i] }
            } else {
                lowRankExpand(y: dinp.ptr, u: du.ptr, w: lora.a.ptr, N: N, M: C, r: r)
            }
            return
        }
        matmulBackward(dinp: du.ptr, dweight: nil, dbias: nil, dout: dout.ptr, inp: u.ptr, weight: lora.b.ptr,
                       N: N, C: r, OC: OC, overwriteDinp: true)
        matmulBackward(dinp: nil, dweight: lora.db.ptr, dbias: nil, dout: dout.ptr, inp: u.ptr, weight: lora.b.ptr,
                       N: N, C: r, OC: OC)
        scaleForward(out: du.ptr, inp: du.ptr, scale: lora.scaling, N: N * r)
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
