import FinchTensor
import Foundation

/// Turns a llama.cpp GGUF file into the pieces of an HF model directory: a config, fp32 weights
/// under HF names, and the tokenizer files (see `GGUFTokenizerExport`).
/// Supported GGUF architectures: llama (SmolLM2, TinyLlama, Llama 2/3, Mistral), qwen2, qwen3.
public struct GGUFImporter {
    public let file: GGUFFile
    public let architecture: String

    public init(url: URL) throws {
        do {
            file = try GGUFFile(url: url)
        } catch let e as GGUFError {
            throw ModelError.invalidGGUF(e.description)
        }
        guard let arch = file.architecture else { throw ModelError.invalidGGUF("general.architecture is missing") }
        guard ["llama", "qwen2", "qwen3"].contains(arch) else {
            throw ModelError.invalidGGUF("GGUF architecture '\(arch)' is not supported yet (supported: llama, qwen2, qwen3)")
        }
        architecture = arch
    }

    /// An HF config built from `{arch}.*` metadata. Embeddings are tied when the file has no `output.weight`.
    public func config() throws -> ModelConfig {
        let m = file.metadata, a = architecture
        func req(_ key: String) throws -> Int {
            guard let v = m.int("\(a).\(key)"), v > 0 else { throw ModelError.invalidGGUF("metadata \(a).\(key) is missing") }
            return v
        }
        let C = try req("embedding_length"), NH = try req("attention.head_count")
        let NKV = m.int("\(a).attention.head_count_kv") ?? NH
        let hd = m.int("\(a).attention.key_length") ?? m.int("\(a).rope.dimension_count") ?? C / NH
        let vocab = m.int("\(a).vocab_size") ?? m.stringArray("tokenizer.ggml.tokens")?.count ?? 0
        guard vocab > 0 else { throw ModelError.invalidGGUF("cannot tell the vocabulary size") }
        var scaling = RopeScaling.none
        if let type = m.string("\(a).rope.scaling.type"), type != "none" {
            guard type == "linear", let f = m.double("\(a).rope.scaling.factor") else {
                throw ModelError.invalidGGUF("rope scaling '\(type)' is not supported yet")
            }
            scaling = .linear(factor: f)
        }
        if file.tensor(named: "rope_freqs.weight") != nil {
            throw ModelError.invalidGGUF("rope_freqs (Llama 3.1 rope scaling factors) is not supported yet")
        }
        var c = ModelConfig(
            modelType: a, vocabSize: vocab, hiddenSize: C, numLayers: try req("block_count"), numHeads: NH,
            numKVHeads: NKV, headDim: hd, intermediateSize: try req("feed_forward_length"),
            maxPositionEmbeddings: m.int("\(a).context_length") ?? 2048,
            normEps: m.double("\(a).attention.layer_norm_rms_epsilon") ?? 1e-5,
            ropeTheta: m.double("\(a).rope.freq_base") ?? 10000, ropeScaling: scaling,
            tieWordEmbeddings: file.tensor(named: "output.weight") == nil,
            attentionBias: false)
        c.bosTokenId = m.int("tokenizer.ggml.bos_token_id")
        c.eosTokenIds = m.int("tokenizer.ggml.eos_token_id").map { [$0] } ?? []
        try c.validate()
        return c
    }

    /// GGUF → HF names of the tensors outside the blocks (shared with the GGUF export).
    static let topLevelNames = [
        "token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight",
        "output.weight": "lm_head.weight",
    ]
    /// GGUF → HF names inside block `blk.N.` / `model.layers.N.` (shared with the GGUF export).
    static let layerNames = [
        "attn_norm": "input_layernorm", "ffn_norm": "post_attention_layernorm",
        "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj", "attn_v": "self_attn.v_proj",
        "attn_output": "self_attn.o_proj", "attn_q_norm": "self_attn.q_norm", "attn_k_norm": "self_attn.k_norm",
        "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj", "ffn_down": "mlp.down_proj",
    ]

    /// The HF name of a GGUF tensor, or nil for tensors HF does not store.
    public static func hfName(_ gguf: String) -> String? {
        if let n = topLevelNames[gguf] { return n }
        let parts = gguf.split(separator: ".", maxSplits: 2).map(String.init)
        guard parts.count == 3, parts[0] == "blk", let layer = Int(parts[1]) else { return nil }
        let rest = parts[2].split(separator: ".", maxSplits: 1).map(String.init)
        guard rest.count == 2, let hf = layerNames[rest[0]], rest[1] == "weight" || rest[1] == "bias" else { return nil }
        return "model.layers.\(layer).\(hf).\(rest[1])"
    }

    /// Every tensor dequantized to fp32 under its HF name, q/k rows un-permuted for `llama`.
    public func weights(config c: ModelConfig) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for info in file.tensors {
            guard let name = Self.hfName(info.name) else {
                throw ModelError.invalidGGUF("tensor '\(info.name)' has no Hugging Face counterpart (unsupported model)")
            }
            let t = Tensor(shape: info.shape)
            try file.withTensorBytes(info) { raw in
                try GGUFDequantize.dequantize(type: info.type, raw: raw, count: info.elementCount, into: t.ptr, name: info.name)
            }
            // llama.cpp permutes q/k rows for its interleaved rope only in the llama architecture.
            if architecture == "llama", name.hasSuffix("q_proj.weight") || name.hasSuffix("q_proj.bias") {
                out[name] = try GGUFDequantize.unpermuteQK(t, heads: c.numHeads)
            } else if architecture == "llama", name.hasSuffix("k_proj.weight") || name.hasSuffix("k_proj.bias") {
                out[name] = try GGUFDequantize.unpermuteQK(t, heads: c.numKVHeads)
            } else {
                out[name] = t
            }
        }
        return out
    }
}
