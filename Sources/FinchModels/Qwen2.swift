/// Qwen2 / Qwen2.5: the Llama decoder with biases on the q, k and v projections
/// (`model.layers.{i}.self_attn.{q,k,v}_proj.bias`), none on o_proj.
public enum Qwen2 {
    public static func make(config: ModelConfig, weights: Weights) throws -> LlamaModel {
        var c = config
        c.attentionBias = false  // Qwen2's o_proj has no bias; q/k/v bias comes from the option
        return try LlamaModel(config: c, weights: weights, options: .init(qkvBias: true))
    }
}
