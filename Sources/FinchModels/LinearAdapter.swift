import FinchTensor

/// Why an adapter's tensors cannot be applied to a base network.
public enum LinearAdapterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The base has no weight of this name.
    case unknownWeight(String)
    /// The weight is not the matrix of a linear layer (an embedding, a norm, a bias).
    case notALinearLayer(String)
    /// A (r, in) and B (out, r) do not fit the base weight (out, in) — or (in, out) for GPT-2's Conv1D.
    case shapeMismatch(name: String, weight: [Int], a: [Int], b: [Int])

    public var description: String {
        switch self {
        case .unknownWeight(let name): "the base model has no weight \(name)"
        case .notALinearLayer(let name): "\(name) is not a linear layer's weight"
        case .shapeMismatch(let name, let w, let a, let b): "\(name): base \(w) vs lora_A \(a), lora_B \(b)"
        }
    }
}

/// Low-rank updates of some linear layers of a shared base network, added during the forward pass —
/// y = W·x + scale·B·(A·x) — instead of merged into copies of W, so one base serves many adapters and an
/// adapter costs only its A and B tensors. Resolved once against the base's weights; the forward pass finds
/// a layer's update by the address of the base weight it multiplies by (a dictionary look-up per layer).
public final class LinearAdapter: Sendable {
    struct Update: Sendable {
        /// a: (r, C), b: (OC, r)
        let a: Tensor, b: Tensor
        /// Bᵀ (r, OC), for the rank-r kernels (ranks that are multiples of 8), made once per adapter.
        let bT: Tensor?

        init(a: Tensor, b: Tensor) {
            self.a = a
            self.b = b
            let r = a.shape[0], OC = b.shape[0]
            if lowRankSupported(r) {
                let t = Tensor.uninitialized(shape: [r, OC])
                transposeInto(t.ptr, b.ptr, rows: OC, cols: r)
                bT = t
            } else {
                bT = nil
            }
        }
    }

    public let scale: Float
    private let updates: [Int: Update]
    /// fp32 bytes of the A and B tensors (and the kernels' copy of Bᵀ).
    public let bytes: Int64

    /// `pairs`: base weight name (`model.layers.0.self_attn.q_proj.weight`) → (A: (r, in), B: (out, r)).
    public init(pairs: [String: (a: Tensor, b: Tensor)], scale: Double, base weights: Weights) throws {
        var updates: [Int: Update] = [:]
        var bytes: Int64 = 0
        for (name, pair) in pairs {
            let w = try Self.check(name: name, a: pair.a, b: pair.b, against: weights.tensors)
            let (a, b) = pair
            let update = Update(a: a, b: b)
            updates[Int(bitPattern: w.ptr)] = update
            bytes += Int64(a.count + b.count + (update.bT?.count ?? 0)) * 4
        }
        self.scale = Float(scale)
        self.updates = updates
        self.bytes = bytes
    }

    /// The base weight `name` that A (r, in) and B (out, r) update, after checking that it is a linear layer's
    /// matrix they fit: (out, in), or (in, out) for GPT-2's Conv1D. Serving and merging both check with this.
    public static func check(name: String, a: Tensor, b: Tensor, against weights: [String: Tensor]) throws -> Tensor {
        guard let w = weights[name] else { throw LinearAdapterError.unknownWeight(name) }
        let embedding = ["embed_tokens.weight", "wte.weight", "wpe.weight"].contains { name.hasSuffix($0) }
        guard w.rank == 2, !embedding else { throw LinearAdapterError.notALinearLayer(name) }
        guard a.rank == 2, b.rank == 2, a.shape[0] == b.shape[1], a.shape[0] > 0,
              w.shape == [b.shape[0], a.shape[1]] || w.shape == [a.shape[1], b.shape[0]] else {
            throw LinearAdapterError.shapeMismatch(name: name, weight: w.shape, a: a.shape, b: b.shape)
        }
        return w
    }

    /// Number of linear layers this adapter changes.
    public var layerCount: Int { updates.count }

    /// out (…, OC) += scale·B·(A·inp) when this adapter changes the layer of `weight`; inp: (…, C).
    func apply(out: Tensor, inp: Tensor, weight: Tensor) {
        guard let update = updates[Int(bitPattern: weight.ptr)] else { return }
        let r = update.a.shape[0], C = update.a.shape[1], OC = update.b.shape[0]
        let N = inp.count / C
        precondition(inp.count == N * C && out.count == N * OC, "adapter update does not fit its layer")
        withUnsafeTemporaryAllocation(of: Float.self, capacity: N * r) { tmp in
            if let bT = update.bT {
                // the training kernels: u = scale·x·Aᵀ, out += u·Bᵀ
                lowRankProject(y: tmp.baseAddress!, x: inp.ptr, w: update.a.ptr, alpha: scale, N: N, M: C, r: r)
                lowRankExpand(y: out.ptr, u: tmp.baseAddress!, w: bT.ptr, N: N, M: OC, r: r)
            } else {
                lowRankForward(out: out.ptr, inp: inp.ptr, a: update.a.ptr, b: update.b.ptr, scale: scale,
                               tmp: tmp.baseAddress!, N: N, C: C, OC: OC, r: r)
            }
        }
    }
}

/// A linear layer of a forward pass: out = inp @ weight^T + bias, plus the adapter's update of this layer.
func linearForward(out: Tensor, inp: Tensor, weight: Tensor, bias: Tensor?, layout: WeightLayout = .outIn,
                   adapter: LinearAdapter?) {
    matmulForward(out: out, inp: inp, weight: weight, bias: bias, layout: layout)
    adapter?.apply(out: out, inp: inp, weight: weight)
}
