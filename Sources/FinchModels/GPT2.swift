import FinchTensor

/// GPT-2: learned positions, pre-LayerNorm blocks, fused qkv, GELU (tanh) MLP, tied lm_head.
/// HF names, with or without the `transformer.` prefix: `wte.weight`, `wpe.weight`,
/// `h.{i}.ln_1.{weight,bias}`, `h.{i}.attn.c_attn.{weight,bias}`, ..., `ln_f.{weight,bias}`.
/// Its `Conv1D` weights are stored (in, out), hence `.inOut` matmuls.
public final class GPT2Model: CausalLanguageModel {
    struct Layer: Sendable {
        let ln1w, ln1b, ln2w, ln2b: Tensor
        let attnW, attnB, projW, projB: Tensor
        let fcW, fcB, fcProjW, fcProjB: Tensor
    }

    public let config: ModelConfig
    public let weights: Weights
    let wte, wpe, lnfW, lnfB, lmHead: Tensor
    let layers: [Layer]

    public init(config c: ModelConfig, weights w: Weights) throws {
        config = c
        weights = w
        let prefix = w.tensors["transformer.wte.weight"] != nil ? "transformer." : ""
        let C = c.hiddenSize, V = c.vocabSize, I = c.intermediateSize
        wte = try w.require(prefix + "wte.weight", [V, C])
        wpe = try w.require(prefix + "wpe.weight", [c.maxPositionEmbeddings, C])
        lnfW = try w.require(prefix + "ln_f.weight", [C])
        lnfB = try w.require(prefix + "ln_f.bias", [C])
        lmHead = c.tieWordEmbeddings ? wte : try w.require("lm_head.weight", [V, C])
        layers = try (0..<c.numLayers).map { i in
            let p = prefix + "h.\(i)."
            return Layer(
                ln1w: try w.require(p + "ln_1.weight", [C]), ln1b: try w.require(p + "ln_1.bias", [C]),
                ln2w: try w.require(p + "ln_2.weight", [C]), ln2b: try w.require(p + "ln_2.bias", [C]),
                attnW: try w.require(p + "attn.c_attn.weight", [C, 3 * C]), attnB: try w.require(p + "attn.c_attn.bias", [3 * C]),
                projW: try w.require(p + "attn.c_proj.weight", [C, C]), projB: try w.require(p + "attn.c_proj.bias", [C]),
                fcW: try w.require(p + "mlp.c_fc.weight", [C, I]), fcB: try w.require(p + "mlp.c_fc.bias", [I]),
                fcProjW: try w.require(p + "mlp.c_proj.weight", [I, C]), fcProjB: try w.require(p + "mlp.c_proj.bias", [C]))
        }
    }

    public func forward(tokens: [Int32], B: Int, T: Int, cache: KVCache?, lastOnly: Bool, adapter: LinearAdapter?) throws
        -> Tensor
    {
        let past = try checkTokens(tokens, B: B, T: T, cache: cache)
        let c = config
        let C = c.hiddenSize, NH = c.numHeads, hd = c.headDim, I = c.intermediateSize
        let BT = B * T, eps = Float(c.normEps)
        let x = Tensor(shape: [B, T, C]), h = Tensor(shape: [B, T, C])
        let qkv = Tensor(shape: [B, T, 3 * C])
        let q = Tensor(shape: [B, T, NH, hd]), k = Tensor(shape: [B, T, NH, hd]), v = Tensor(shape: [B, T, NH, hd])
        let att = Tensor(shape: [B, T, C]), o = Tensor(shape: [B, T, C]), fc = Tensor(shape: [B, T, I])
        let positions = (0..<BT).map { Int32(past + $0 % T) }
        tokens.withUnsafeBufferPointer { tok in
            positions.withUnsafeBufferPointer { pos in
                encoderForward(out: x.ptr, tokens: tok.baseAddress!, wte: wte.ptr, wpe: wpe.ptr, positions: pos.baseAddress!,
                               B: B, T: T, C: C)
            }
        }
        let scale = 1 / Float(hd).squareRoot()
        for (l, layer) in layers.enumerated() {
            layernormForward(out: h.ptr, mean: nil, rstd: nil, inp: x.ptr, weight: layer.ln1w.ptr, bias: layer.ln1b.ptr,
                             N: BT, C: C, eps: eps)
            linearForward(out: qkv, inp: h, weight: layer.attnW, bias: layer.attnB, layout: .inOut, adapter: adapter)
            // qkv: (B,T,3C) -> q, k, v: (B,T,NH,hd)
            for bt in 0..<BT {
                let src = qkv.ptr + bt * 3 * C
                (q.ptr + bt * C).update(from: src, count: C)
                (k.ptr + bt * C).update(from: src + C, count: C)
                (v.ptr + bt * C).update(from: src + 2 * C, count: C)
            }
            if let cache {
                cache.store(layer: l, k: k.ptr, v: v.ptr, T: T, past: past)
                attentionForward(out: att.ptr, att: nil, q: q.ptr, k: cache.keys[l].ptr, v: cache.values[l].ptr, docIds: nil,
                                 B: B, T: T, past: past, Tcap: cache.capacity, NH: NH, NKV: NH, hd: hd, scale: scale)
            } else {
                attentionForward(out: att.ptr, att: nil, q: q.ptr, k: k.ptr, v: v.ptr, docIds: nil,
                                 B: B, T: T, past: 0, Tcap: T, NH: NH, NKV: NH, hd: hd, scale: scale)
            }
            linearForward(out: o, inp: att, weight: layer.projW, bias: layer.projB, layout: .inOut, adapter: adapter)
            residualForward(out: x.ptr, a: x.ptr, b: o.ptr, N: BT * C)
            layernormForward(out: h.ptr, mean: nil, rstd: nil, inp: x.ptr, weight: layer.ln2w.ptr, bias: layer.ln2b.ptr,
                             N: BT, C: C, eps: eps)
            linearForward(out: fc, inp: h, weight: layer.fcW, bias: layer.fcB, layout: .inOut, adapter: adapter)
            geluForward(out: fc.ptr, inp: fc.ptr, N: BT * I)
            linearForward(out: o, inp: fc, weight: layer.fcProjW, bias: layer.fcProjB, layout: .inOut, adapter: adapter)
            residualForward(out: x.ptr, a: x.ptr, b: o.ptr, N: BT * C)
        }
        cache?.length = past + T
        return finalLogits(x: x, h: h, B: B, T: T, lastOnly: lastOnly, lmHead: lmHead, V: c.vocabSize,
                           adapter: adapter) { out, inp, N in
            layernormForward(out: out, mean: nil, rstd: nil, inp: inp, weight: lnfW.ptr, bias: lnfB.ptr, N: N, C: C, eps: eps)
        }
    }
}
