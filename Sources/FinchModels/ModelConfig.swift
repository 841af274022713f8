import FinchTensor
import Foundation

/// How RoPE frequencies are scaled (HF `rope_scaling` / `rope_parameters`).
public enum RopeScaling: Sendable, Equatable {
    case none
    case linear(factor: Double)
    case llama3(Llama3RopeScaling)
}

/// The parts of an HF `config.json` the engine uses, normalised across architectures and
/// across the old (`rope_theta`, `rope_scaling`) and transformers-5 (`rope_parameters`) forms.
public struct ModelConfig: Sendable, Equatable {
    public var modelType: String
    public var vocabSize: Int          // V
    public var hiddenSize: Int         // C
    public var numLayers: Int          // L
    public var numHeads: Int           // NH
    public var numKVHeads: Int         // NKV
    public var headDim: Int            // hd
    public var intermediateSize: Int
    public var maxPositionEmbeddings: Int
    public var normEps: Double
    public var ropeTheta: Double
    public var ropeScaling: RopeScaling
    public var tieWordEmbeddings: Bool
    public var attentionBias: Bool
    public var mlpBias: Bool
    public var hiddenAct: String
    public var bosTokenId: Int?
    public var eosTokenIds: [Int]

    public init(
        modelType: String, vocabSize: Int, hiddenSize: Int, numLayers: Int, numHeads: Int, numKVHeads: Int,
        headDim: Int, intermediateSize: Int, maxPositionEmbeddings: Int, normEps: Double, ropeTheta: Double = 10000,
        ropeScaling: RopeScaling = .none, tieWordEmbeddings: Bool, attentionBias: Bool = false, mlpBias: Bool = false,
        hiddenAct: String = "silu", bosTokenId: Int? = nil, eosTokenIds: [Int] = []
    ) {
        self.modelType = modelType
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numLayers = numLayers
        self.numHeads = numHeads
        self.numKVHeads = numKVHeads
        self.headDim = headDim
        self.intermediateSize = intermediateSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.normEps = normEps
        self.ropeTheta = ropeTheta
        self.ropeScaling = ropeScaling
        self.tieWordEmbeddings = tieWordEmbeddings
        self.attentionBias = attentionBias
        self.mlpBias = mlpBias
        self.hiddenAct = hiddenAct
        self.bosTokenId = bosTokenId
        self.eosTokenIds = eosTokenIds
    }

    /// Reads `config.json` in `dir`.
    public static func load(directory dir: URL) throws -> ModelConfig {
        let url = dir.appendingPathComponent("config.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { throw ModelError.fileNotFound(url.path) }
        return try parse(data)
    }

    public static func parse(_ data: Data) throws -> ModelConfig {
        guard let obj = try? JSONSerialization.jsonObject(with: data), let j = obj as? [String: Any] else {
            throw ModelError.invalidConfig("not a JSON object")
        }
        guard let type = j["model_type"] as? String else { throw ModelError.invalidConfig("missing model_type") }
        if type == "gpt2" { return try parseGPT2(j) }
        let C = try int(j, "hidden_size")
        let NH = try int(j, "num_attention_heads")
        guard NH > 0 else { throw ModelError.invalidConfig("num_attention_heads must be positive") }
        let NKV = try int(j, "num_key_value_heads", default: NH)
        let hd = try int(j, "head_dim", default: C / NH)
        guard NKV > 0, NH % NKV == 0, hd > 0, hd % 2 == 0 else {
            throw ModelError.invalidConfig("heads: num_attention_heads=\(NH), num_key_value_heads=\(NKV), head_dim=\(hd)")
        }
        let (theta, scaling) = try parseRope(j)
        var c = ModelConfig(
            modelType: type, vocabSize: try int(j, "vocab_size"), hiddenSize: C,
            numLayers: try int(j, "num_hidden_layers"), numHeads: NH, numKVHeads: NKV, headDim: hd,
            intermediateSize: try int(j, "intermediate_size"),
            maxPositionEmbeddings: try int(j, "max_position_embeddings", default: 2048),
            normEps: try double(j, "rms_norm_eps", default: 1e-6), ropeTheta: theta, ropeScaling: scaling,
            tieWordEmbeddings: j["tie_word_embeddings"] as? Bool ?? false,
            attentionBias: j["attention_bias"] as? Bool ?? false,
            mlpBias: j["mlp_bias"] as? Bool ?? false,
            hiddenAct: j["hidden_act"] as? String ?? "silu")
        c.bosTokenId = (j["bos_token_id"] as? NSNumber)?.intValue
        c.eosTokenIds = ids(j["eos_token_id"])
        try c.validate()
        return c
    }

    private static func parseGPT2(_ j: [String: Any]) throws -> ModelConfig {
        let C = try int(j, "n_embd")
        let NH = try int(j, "n_head")
        guard NH > 0, C % NH == 0 else { throw ModelError.invalidConfig("n_embd must be a multiple of n_head") }
        var c = ModelConfig(
            modelType: "gpt2", vocabSize: try int(j, "vocab_size"), hiddenSize: C, numLayers: try int(j, "n_layer"),
            numHeads: NH, numKVHeads: NH, headDim: C / NH,
            intermediateSize: (j["n_inner"] as? NSNumber)?.intValue ?? 4 * C,
            maxPositionEmbeddings: try int(j, "n_positions", default: 1024),
            normEps: try double(j, "layer_norm_epsilon", default: 1e-5),
            tieWordEmbeddings: j["tie_word_embeddings"] as? Bool ?? true, attentionBias: true, mlpBias: true,
            hiddenAct: j["activation_function"] as? String ?? "gelu_new")
        c.bosTokenId = (j["bos_token_id"] as? NSNumber)?.intValue
        c.eosTokenIds = ids(j["eos_token_id"])
        try c.validate()
        return c
    }

    /// `rope_parameters` (transformers 5) or `rope_theta` + `rope_scaling` (older).
    private static func parseRope(_ j: [String: Any]) throws -> (Double, RopeScaling) {
        var params: [String: Any] = [:]
        if let p = j["rope_parameters"] as? [String: Any] { params = p }
        if let s = j["rope_scaling"] as? [String: Any] { params.merge(s) { old, _ in old } }
        let theta = try double(params, "rope_theta", default: try double(j, "rope_theta", default: 10000))
        let kind = (params["rope_type"] as? String) ?? (params["type"] as? String) ?? "default"
        switch kind {
        case "default":
            return (theta, .none)
        case "linear":
            return (theta, .linear(factor: try double(params, "factor")))
        case "llama3":
            return (theta, .llama3(Llama3RopeScaling(
                factor: try double(params, "factor"),
                lowFreqFactor: try double(params, "low_freq_factor"),
                highFreqFactor: try double(params, "high_freq_factor"),
                originalMaxPositionEmbeddings: try int(params, "original_max_position_embeddings"))))
        default:
            throw ModelError.invalidConfig("rope type '\(kind)' is not supported yet (supported: default, linear, llama3)")
        }
    }

    func validate() throws {
        for (name, v) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numLayers),
                          ("intermediate_size", intermediateSize), ("max_position_embeddings", maxPositionEmbeddings)]
        where v <= 0 || v > 1 << 24 {
            throw ModelError.invalidConfig("\(name) = \(v) is out of range")
        }
    }

    /// The inverse RoPE frequencies for this model, shape (hd/2).
    public var ropeInvFreq: [Float] {
        switch ropeScaling {
        case .none: ropeInverseFrequencies(dim: headDim, theta: ropeTheta)
        case .linear(let f): ropeInverseFrequencies(dim: headDim, theta: ropeTheta, linearFactor: f)
        case .llama3(let s): ropeInverseFrequencies(dim: headDim, theta: ropeTheta, llama3: s)
        }
    }

    // MARK: JSON helpers

    static func int(_ j: [String: Any], _ key: String, default d: Int? = nil) throws -> Int {
        if let n = j[key] as? NSNumber {
            let v = n.doubleValue
            guard v == v.rounded(), abs(v) < 1e15 else { throw ModelError.invalidConfig("\(key) must be an integer") }
            return Int(v)
        }
        if j[key] == nil || j[key] is NSNull, let d { return d }
        throw ModelError.invalidConfig("\(key) is missing or not an integer")
    }

    static func double(_ j: [String: Any], _ key: String, default d: Double? = nil) throws -> Double {
        if let n = j[key] as? NSNumber { return n.doubleValue }
        if j[key] == nil || j[key] is NSNull, let d { return d }
        throw ModelError.invalidConfig("\(key) is missing or not a number")
    }

    static func ids(_ v: Any?) -> [Int] {
        if let n = v as? NSNumber { return [n.intValue] }
        if let a = v as? [Any] { return a.compactMap { ($0 as? NSNumber)?.intValue } }
        return []
    }
}

extension ModelConfig {
    /// An HF-style `config.json` object for this config (old form: `rope_theta` + `rope_scaling`).
    public func jsonObject() -> [String: Any] {
        var j: [String: Any] = [
            "model_type": modelType, "vocab_size": vocabSize, "torch_dtype": "float32",
            "tie_word_embeddings": tieWordEmbeddings,
        ]
        if let bosTokenId { j["bos_token_id"] = bosTokenId }
        if !eosTokenIds.isEmpty { j["eos_token_id"] = eosTokenIds.count == 1 ? eosTokenIds[0] as Any : eosTokenIds }
        if modelType == "gpt2" {
            j["architectures"] = ["GPT2LMHeadModel"]
            j["n_embd"] = hiddenSize; j["n_layer"] = numLayers; j["n_head"] = numHeads
            j["n_inner"] = intermediateSize; j["n_positions"] = maxPositionEmbeddings
            j["layer_norm_epsilon"] = normEps; j["activation_function"] = hiddenAct
            return j
        }
        let arch = ["llama": "LlamaForCausalLM", "mistral": "MistralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                    "qwen3": "Qwen3ForCausalLM"][modelType] ?? "LlamaForCausalLM"
        j["architectures"] = [arch]
        j["hidden_size"] = hiddenSize; j["num_hidden_layers"] = numLayers
        j["num_attention_heads"] = numHeads; j["num_key_value_heads"] = numKVHeads; j["head_dim"] = headDim
        j["intermediate_size"] = intermediateSize; j["max_position_embeddings"] = maxPositionEmbeddings
        j["rms_norm_eps"] = normEps; j["rope_theta"] = ropeTheta; j["hidden_act"] = hiddenAct
        j["attention_bias"] = attentionBias; j["mlp_bias"] = mlpBias
        switch ropeScaling {
        case .none: break
        case .linear(let f): j["rope_scaling"] = ["rope_type": "linear", "factor": f]
        case .llama3(let s):
            j["rope_scaling"] = ["rope_type": "llama3", "factor": s.factor, "low_freq_factor": s.lowFreqFactor,
                                 "high_freq_factor": s.highFreqFactor,
                                 "original_max_position_embeddings": s.originalMaxPositionEmbeddings]
        }
        return j
    }
}
