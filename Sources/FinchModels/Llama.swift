import FinchTensor

/// The Llama decoder (SmolLM/SmolLM2, TinyLlama, Llama 2/3, Mistral-style), also the base of
/// Qwen2 (q/k/v bias) and Qwen3 (per-head q/k RMSNorm). Weight names are HF's:
/// `model.embed_tokens.weight`, `model.layers.{i}.self_attn.q_proj.weight`, ..., `lm_head.weight`.
public final class LlamaModel: CausalLanguageModel {
    public struct Options: Sendable {
        public var qkvBias = false
        public var qkNorm = false
        public init(qkvBias: Bool = false, qkNorm: Bool = false) {
            self.qkvBias = qkvBias
            self.qkNorm = qkNorm
        }
    }

    struct Layer: Sendable {
        let inputNorm, postAttentionNorm: Tensor
        let wq, wk, wv, wo: Tensor
        let bq, bk, bv, bo: Tensor?
        let qNorm, kNorm: Tensor?
        let wGate, wUp, wDown: Tensor
        let bGate, bUp, bDown: Tensor?
    }

    public let config: ModelConfig
    public let weights: Weights
    let options: Options
    let embed, finalNorm, lmHead: Tensor
    let layers: [Layer]
    let invFreq: [Float]

    public init(config c: ModelConfig, weights w: Weights, options: Options = Options()) throws {
        config = c
        weights = w
        self.options = options
        let C = c.hiddenSize, V = c.vocabSize, I = c.intermediateSize
        let qDim = c.numHeads * c.headDim, kvDim = c.numKVHeads * c.headDim
        embed = try w.require("model.embed_tokens.weight", [V, C])
        finalNorm = try w.require("model.norm.weight", [C])
        lmHead = c.tieWordEmbeddings ? (try w.optional("lm_head.weight", [V, C]) ?? embed) : try w.require("lm_head.weight", [V, C])
        let qkvBias = options.qkvBias || c.attentionBias
        layers = try (0..<c.numLayers).map { i in
            let p = "model.layers.\(i)."
            func bias(_ name: String, _ n: Int, _ on: Bool) throws -> Tensor? { on ? try w.require(p + name, [n]) : nil }
            return Layer(
                inputNorm: try w.require(p + "input_layernorm.weight", [C]),
                postAttentionNorm: try w.require(p + "post_attention_layernorm.weight", [C]),
                wq: try w.require(p + "self_attn.q_proj.weight", [qDim, C]),
                wk: try w.require(p + "self_attn.k_proj.weight", [kvDim, C]),
                wv: try w.require(p + "self_attn.v_proj.weight", [kvDim, C]),
                wo: try w.require(p + "self_attn.o_proj.weight", [C, qDim]),
                bq: try bias("self_attn.q_proj.bias", qDim, qkvBias),
                bk: try bias("self_attn.k_proj.bias", kvDim, qkvBias),
                bv: try bias("self_attn.v_proj.bias", kvDim, qkvBias),
                bo: try bias("self_attn.o_proj.bias", C, c.attentionBias),
                qNorm: options.qkNorm ? try w.require(p + "self_attn.q_norm.weight", [c.headDim]) : nil,
                kNorm: options.qkNorm ? try w.require(p + "self_attn.k_norm.weight", [c.headDim]) : nil,
                wGate: try w.require(p + "mlp.gate_proj.weight", [I, C]),
                wUp: try w.require(p + "mlp.up_proj.weight", [I, C]),
                wDown: try w.require(p + "mlp.down_proj.weight", [C, I]),
                bGate: try bias("mlp.gate_proj.bias", I, c.mlpBias),
                bUp: try bias("mlp.up_proj.bias", I, c.mlpBias),
                bDown: try bias("mlp.down_proj.bias", C, c.mlpBias))
        }
        invFreq = c.ropeInvFreq
    }

    public func forward(tokens: [Int32], B: Int, T: Int, cache: KVCache?, lastOnly: Bool, adapter: LinearAdapter?) throws
        -> Tensor
    {
        let past = try checkTokens(tokens, B: B, T: T, cache: cache)
        let c = config
        let C = c.hiddenSize, NH = c.numHeads, NKV = c.numKVHeads, hd = c.headDim, I = c.intermediateSize
        let BT = B * T, eps = Float(c.normEps)
        // activations, (B,T,·)
        let x = Tensor(shape: [B, T, C]), h = Tensor(shape: [B, T, C])
        let q = Tensor(shape: [B, T, NH, hd]), k = Tensor(shape: [B, T, NKV, hd]), v = Tensor(shape: [B, T, NKV, hd])
        let att = Tensor(shape: [B, T, NH, hd]), o = Tensor(shape: [B, T, C])
        let gate = Tensor(shape: [B, T, I]), up = Tensor(shape: [B, T, I])
        // rope tables for positions past..<past+T
        let positions = (0..<BT).map { Int32(past + $0 % T) }
        let cosT = Tensor(shape: [BT, hd / 2]), sinT = Tensor(shape: [BT, hd / 2])
        positions.withUnsafeBufferPointer { pos in
            invFreq.withUnsafeBufferPointer { f in
                ropeTables(cos: cosT.ptr, sin: sinT.ptr, positions: pos.baseAddress!, invFreq: f.baseAddress!, N: BT, half: hd / 2)
            }
        }
        tokens.withUnsafeBufferPointer { tok in
            encoderForward(out: x.ptr, tokens: tok.baseAddress!, wte: embed.ptr, wpe: nil, positions: nil, B: B, T: T, C: C)
        }
        let scale = 1 / Float(hd).squareRoot()
        for (l, layer) in layers.enumerated() {
            rmsnormForward(out: h.ptr, rstd: nil, inp: x.ptr, weight: layer.inputNorm.ptr, N: BT, C: C, eps: eps)
            linearForward(out: q, inp: h, weight: layer.wq, bias: layer.bq, adapter: adapter)
            linearForward(out: k, inp: h, weight: layer.wk, bias: layer.bk, adapter: adapter)
            linearForward(out: v, inp: h, weight: layer.wv, bias: layer.bv, adapter: adapter)
            if let qn = layer.qNorm, let kn = layer.kNorm {
                rmsnormForward(out: q.ptr, rstd: nil, inp: q.ptr, weight: qn.ptr, N: BT * NH, C: hd, eps: eps)
                rmsnormForward(out: k.ptr, rstd: nil, inp: k.ptr, weight: kn.ptr, N: BT * NKV, C: hd, eps: eps)
            }
            ropeForward(x: q.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: BT, NH: NH, hd: hd)
            ropeForward(x: k.ptr, cos: cosT.ptr, sin: sinT.ptr, BT: BT, NH: NKV, hd: hd)
            if let cache {
                cache.store(layer: l, k: k.ptr, v: v.ptr, T: T, past: past)
                attentionForward(out: att.ptr, att: nil, q: q.ptr, k: cache.keys[l].ptr, v: cache.values[l].ptr, docIds: nil,
                                 B: B, T: T, past: past, Tcap: cache.capacity, NH: NH, NKV: NKV, hd: hd, scale: scale)
            } else {
                attentionForward(out: att.ptr, att: nil, q: q.ptr, k: k.ptr, v: v.ptr, docIds: nil,
                                 B: B, T: T, past: 0, Tcap: T, NH: NH, NKV: NKV, hd: hd, scale: scale)
            }
            linearForward(out: o, inp: att.reshaped([B, T, NH * hd]), weight: layer.wo, bias: layer.bo, adapter: adapter)
            residualForward(out: x.ptr, a: x.ptr, b: o.ptr, N: BT * C)
            rmsnormForward(out: h.ptr, rstd: nil, inp: x.ptr, weight: layer.postAttentionNorm.ptr, N: BT, C: C, eps: eps)
            linearForward(out: gate, inp: h, weight: layer.wGate, bias: layer.bGate, adapter: adapter)
            linearForward(out: up, inp: h, weight: layer.wUp, bias: layer.bUp, adapter: adapter)
            swigluForward(out: gate.ptr, gate: gate.ptr, up: up.ptr, N: BT * I)
            linearForward(out: o, inp: gate, weight: layer.wDown, bias: layer.bDown, adapter: adapter)
            residualForward(out: x.ptr, a: x.ptr, b: o.ptr, N: BT * C)
        }
        cache?.length = past + T
        return lmHeadForward(x: x, h: h, B: B, T: T, lastOnly: lastOnly, adapter: adapter) { out, inp, N in
            rmsnormForward(out: out, rstd: nil, inp: inp, weight: finalNorm.ptr, N: N, C: C, eps: eps)
        }
    }

    /// Final norm (via `norm`) and logits for all positions or only the last one of each sequence.
    func lmHeadForward(
        x: Tensor, h: Tensor, B: Int, T: Int, lastOnly: Bool, adapter: LinearAdapter? = nil,
        norm: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
    ) -> Tensor {
        finalLogits(x: x, h: h, B: B, T: T, lastOnly: lastOnly, lmHead: lmHead, V: config.vocabSize, adapter: adapter,
                    norm: norm)
    }
}

/// Shared tail of every architecture: norm the last hidden states and project to the vocabulary.
/// x, h: (B,T,C) -> logits (B,T,V) or (B,1,V).
func finalLogits(
    x: Tensor, h: Tensor, B: Int, T: Int, lastOnly: Bool, lmHead: Tensor, V: Int, adapter: LinearAdapter? = nil,
    norm: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
) -> Tensor {
    let C = x.shape[2]
    let rows = lastOnly ? 1 : T
    let src: Tensor
    if lastOnly && T > 1 {
        src = Tensor(shape: [B, 1, C])
        for b in 0..<B { (src.ptr + b * C).update(from: x.ptr + (b * T + T - 1) * C, count: C) }
    } else {
        src = x
    }
    let normed = lastOnly ? Tensor(shape: [B, 1, C]) : h
    norm(normed.ptr, src.ptr, B * rows)
    let logits = Tensor(shape: [B, rows, V])
    linearForward(out: logits, inp: normed, weight: lmHead, bias: nil, adapter: adapter)
    return logits
}
