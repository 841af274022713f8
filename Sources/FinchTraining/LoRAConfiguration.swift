/// Low-rank adaptation settings, named as in PEFT's `LoraConfig`.
public struct LoRAConfiguration: Codable, Sendable, Equatable {
    /// r, the adapter rank.
    public var rank: Int
    /// lora_alpha; the update is scaled by alpha / rank.
    public var alpha: Double
    /// lora_dropout, applied to the adapter's input only.
    public var dropout: Double
    /// Module names (suffixes, as PEFT's `target_modules`); nil means every linear projection of the
    /// architecture: q,k,v,o,gate,up,down (Llama/Qwen) or c_attn, c_proj, c_fc (GPT-2).
    public var targets: [String]?

    public init(rank: Int = 8, alpha: Double = 16, dropout: Double = 0, targets: [String]? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
    }

    public var scaling: Float { Float(alpha / Double(rank)) }

    /// The target module names for `modelType`.
    public func resolvedTargets(modelType: String) -> [String] {
        if let targets { return targets }
        if modelType == "gpt2" { return ["c_attn", "c_proj", "c_fc"] }
        return ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
    }

    /// PEFT's matching rule: the target equals the module path or is its last dotted component(s).
    static func matches(module: String, targets: [String]) -> Bool {
        targets.contains { module == $0 || module.hasSuffix("." + $0) }
    }
}
