import FinchModels
import FinchTensor
import Foundation

/// What is trained: a LoRA adapter on the frozen base, or every weight.
public enum TrainingMethod: Codable, Sendable, Equatable {
    case lora(LoRAConfiguration)
    case full
}

/// One trainable tensor and its gradient, by the name it is saved under
/// (HF names in full fine-tuning, PEFT adapter names for LoRA).
public struct TrainableParameter: @unchecked Sendable {
    public let name: String
    public let value: Tensor
    public let grad: Tensor
    /// Whether AdamW's weight decay applies (matrices yes; norms and biases no).
    public let decay: Bool
}

/// A norm's weight/bias and, when trained, their gradients.
struct NormParams {
    let w: Tensor, b: Tensor?
    var dw: Tensor?, db: Tensor?
}

/// The training graph of a decoder-only model (Llama/Mistral/SmolLM, Qwen2, Qwen3, GPT-2):
/// a forward pass that keeps its activations and the matching backward pass, over packed micro-batches.
/// Weight names are HF's; LoRA adapters are named as PEFT names them.
public final class TrainingModel: @unchecked Sendable {
    public let config: ModelConfig
    public let method: TrainingMethod
    let isGPT2: Bool
    let embed: Tensor
    var dembed: Tensor?
    let wpe: Tensor?
    var dwpe: Tensor?
    var finalNorm: NormParams
    let lmHead: Tensor
    var dlmHead: Tensor?
    var blocks: [Block]
    let invFreq: [Float]
    /// Every base weight by HF name (written out after full fine-tuning).
    public let baseWeights: [String: Tensor]
    /// Trainable tensors in a fixed order (optimizer state and checkpoints follow it).
    public private(set) var parameters: [TrainableParameter] = []
    /// Prefix of GPT-2 weight names (`transformer.` or empty).
    let prefix: String

    struct Block {
        var norm1: NormParams, norm2: NormParams
        var qNorm: NormParams?, kNorm: NormParams?
        /// Llama: q, k, v, o, gate, up, down. GPT-2: c_attn (fused qkv), attn.c_proj, c_fc, mlp.c_proj.
        var linears: [TrainableLinear]
    }

    /// Loads the model in `directory` (config.json + safetensors) for training with `method`.
    /// LoRA A matrices are drawn from `seed` (PEFT's init); B starts at zero.
    public convenience init(directory: URL, method: TrainingMethod, seed: UInt64) throws {
        let config = try ModelConfig.load(directory: directory)
        let weights = try SafeTensors.loadDirectory(directory)
        try self.init(config: config, weights: Weights(weights), method: method, seed: seed)
    }

    public init(config c: ModelConfig, weights w: Weights, method: TrainingMethod, seed: UInt64) throws {
        config = c
        self.method = method
        baseWeights = w.tensors
        invFreq = c.ropeInvFreq
        let C = c.hiddenSize, V = c.vocabSize, I = c.intermediateSize
        let full = method == .full
        func grad(_ t: Tensor) -> Tensor? { full ? Tensor(shape: t.shape) : nil }
        func norm(_ wName: String, _ bName: String?, _ n: Int) throws -> NormParams {
            let wt = try w.require(wName, [n])
            let bt = try bName.map { try w.require($0, [n]) }
            return NormParams(w: wt, b: bt, dw: grad(wt), db: bt.flatMap(grad))
        }
        func linear(_ name: String, _ shape: [Int], bias: Bool, layout: WeightLayout) throws -> TrainableLinear {
            let wt = try w.require(name + ".weight", shape)
            let oc = layout == .outIn ? shape[0] : shape[1]
            let bt = bias ? try w.require(name + ".bias", [oc]) : nil
            let l = TrainableLinear(name: name, weight: wt, bias: bt, layout: layout)
            l.dweight = grad(wt)
            l.dbias = bt.flatMap(grad)
            return l
        }
        switch c.modelType {
        case "gpt2":
            isGPT2 = true
            prefix = w.tensors["transformer.wte.weight"] != nil ? "transformer." : ""
            let p = prefix
            embed = try w.require(p + "wte.weight", [V, C])
            wpe = try w.require(p + "wpe.weight", [c.maxPositionEmbeddings, C])
            finalNorm = try norm(p + "ln_f.weight", p + "ln_f.bias", C)
            lmHead = c.tieWordEmbeddings ? embed : try w.require("lm_head.weight", [V, C])
            blocks = try (0..<c.numLayers).map { i in
                let b = p + "h.\(i)."
                return Block(
                    norm1: try norm(b + "ln_1.weight", b + "ln_1.bias", C),
                    norm2: try norm(b + "ln_2.weight", b + "ln_2.bias", C),
                    linears: [
                        try linear(b + "attn.c_attn", [C, 3 * C], bias: true, layout: .inOut),
                        try linear(b + "attn.c_proj", [C, C], bias: true, layout: .inOut),
                        try linear(b + "mlp.c_fc", [C, I], bias: true, layout: .inOut),
                        try linear(b + "mlp.c_proj", [I, C], bias: true, layout: .inOut),
                    ])
            }
        case "llama", "mistral", "qwen2", "qwen3":
            isGPT2 = false
            prefix = ""
            embed = try w.require("model.embed_tokens.weight", [V, C])
            wpe = nil
            finalNorm = try norm("model.norm.weight", nil, C)
            lmHead = c.tieWordEmbeddings ? (try w.optional("lm_head.weight", [V, C]) ?? embed) : try w.require("lm_head.weight", [V, C])
            let qDim = c.numHeads * c.headDim, kvDim = c.numKVHeads * c.headDim
            let qkvBias = c.modelType == "qwen2" || c.attentionBias
            let oBias = c.modelType != "qwen2" && c.attentionBias
            let qkNorm = c.modelType == "qwen3"
            blocks = try (0..<c.numLayers).map { i in
                let b = "model.layers.\(i)."
                return Block(
                    norm1: try norm(b + "input_layernorm.weight", nil, C),
                    norm2: try norm(b + "post_attention_layernorm.weight", nil, C),
                    qNorm: qkNorm ? try norm(b + "self_attn.q_norm.weight", nil, c.headDim) : nil,
                    kNorm: qkNorm ? try norm(b + "self_attn.k_norm.weight", nil, c.headDim) : nil,
                    linears: [
                        try linear(b + "self_attn.q_proj", [qDim, C], bias: qkvBias, layout: .outIn),
                        try linear(b + "self_attn.k_proj", [kvDim, C], bias: qkvBias, layout: .outIn),
                        try linear(b + "self_attn.v_proj", [kvDim, C], bias: qkvBias, layout: .outIn),
                        try linear(b + "self_attn.o_proj", [C, qDim], bias: oBias, layout: .outIn),
                        try linear(b + "mlp.gate_proj", [I, C], bias: c.mlpBias, layout: .outIn),
                        try linear(b + "mlp.up_proj", [I, C], bias: c.mlpBias, layout: .outIn),
                        try linear(b + "mlp.down_proj", [C, I], bias: c.mlpBias, layout: .outIn),
                    ])
            }
        default:
            throw ModelError.unsupportedArchitecture(c.modelType)
        }
        if full {
            dembed = Tensor(shape: embed.shape)
            dwpe = wpe.map { Tensor(shape: $0.shape) }
            dlmHead = lmHead.storage === embed.storage ? dembed : Tensor(shape: lmHead.shape)
        }
        try attachAdapters(seed: seed)
        parameters = collectParameters()
    }

    /// Every linear layer in model order.
    public var linears: [TrainableLinear] { blocks.flatMap(\.linears) }

    private func attachAdapters(seed: UInt64) throws {
        guard case .lora(let lc) = method else { return }
        guard lc.rank > 0, lc.alpha > 0, lc.dropout >= 0, lc.dropout < 1 else {
            throw TrainingError.invalidConfiguration("LoRA needs rank > 0, alpha > 0 and 0 <= dropout < 1")
        }
        let targets = lc.resolvedTargets(modelType: config.modelType)
        var rng = SplitMix64(seed: seed, stream: 1)
        var matched = 0
        for l in linears where LoRAConfiguration.matches(module: l.name, targets: targets) {
            l.lora = TrainableLoRA(C: l.C, OC: l.OC, config: lc, rng: &rng)
            matched += 1
        }
        if matched == 0 {
            throw TrainingError.invalidConfiguration("LoRA target modules \(targets) match no layer of this \(config.modelType) model")
        }
    }

    /// PEFT's tensor names: `base_model.model.<module>.lora_A.weight`.
    static func peftName(_ module: String, _ which: String) -> String { "base_model.model.\(module).lora_\(which).weight" }

    private func collectParameters() -> [TrainableParameter] {
        var out: [TrainableParameter] = []
        switch method {
        case .lora:
            for l in linears {
                guard let a = l.lora else { continue }
                out.append(TrainableParameter(name: Self.peftName(l.name, "A"), value: a.a, grad: a.da, decay: true))
                out.append(TrainableParameter(name: Self.peftName(l.name, "B"), value: a.b, grad: a.db, decay: true))
            }
        case .full:
            // every base weight with a gradient; tied lm_head appears once (as the embedding)
            var seen = Set<ObjectIdentifier>()
            func add(_ name: String, _ v: Tensor, _ g: Tensor?, decay: Bool) {
                guard let g, seen.insert(ObjectIdentifier(v.storage)).inserted else { return }
                out.append(TrainableParameter(name: name, value: v, grad: g, decay: decay))
            }
            for (name, t) in baseWeights.sorted(by: { $0.key < $1.key }) {
                add(name, t, gradient(of: t), decay: t.rank >= 2)
            }
        }
        return out
    }

    /// The gradient buffer of a base tensor (full fine-tuning), found by identity.
    private func gradient(of t: Tensor) -> Tensor? {
        var pairs: [(Tensor, Tensor?)] = [(embed, dembed), (lmHead, dlmHead), (finalNorm.w, finalNorm.dw)]
        if let wpe { pairs.append((wpe, dwpe)) }
        if let b = finalNorm.b { pairs.append((b, finalNorm.db)) }
        for blk in blocks {
            for n in [blk.norm1, blk.norm2, blk.qNorm, blk.kNorm].compactMap({ $0 }) {
                pairs.append((n.w, n.dw))
                if let b = n.b { pairs.append((b, n.db)) }
            }
            for l in blk.linears {
                pairs.append((l.weight, l.dweight))
                if let b = l.bias { pairs.append((b, l.dbias)) }
            }
        }
        return pairs.first { $0.0.storage === t.storage && $0.0.offset == t.offset }?.1
    }

    /// Zeroes every gradient buffer (start of an accumulation window).
    public func zeroGrad() {
        for p in parameters { p.grad.zeroGrad() }
    }

    /// Number of trainable values.
    public var trainableCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
