/// Qwen3 (dense): the Llama decoder with RMSNorm over each query and key head before RoPE
/// (`model.layers.{i}.self_attn.q_norm.weight`, `k_norm.weight`, shape (head_dim)); `head_dim` is explicit
/// in its config and need not equal hidden_size / num_attention_heads.
public enum Qwen3 {
    public static func make(config: ModelConfig, weights: Weights) throws -> LlamaModel {
        try LlamaModel(config: config, weights: weights, options: .init(qkvBias: config.attentionBias, qkNorm: true))
    }
}
