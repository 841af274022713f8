import FinchModels
import FinchTensor
import Foundation
import Testing

@Suite("config.json parsing")
struct ConfigTests {
    func parse(_ json: String) throws -> ModelConfig { try ModelConfig.parse(Data(json.utf8)) }

    @Test("old form: rope_theta and rope_scaling with 'type', derived head_dim, defaults")
    func oldForm() throws {
        let c = try parse("""
            {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 8, "intermediate_size": 128, "rope_theta": 500000.0,
             "rope_scaling": {"type": "llama3", "factor": 32.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                              "original_max_position_embeddings": 8192},
             "eos_token_id": [128001, 128009], "tie_word_embeddings": true}
            """)
        #expect(c.numKVHeads == 8 && c.headDim == 8)
        #expect(c.ropeTheta == 500000)
        #expect(c.ropeScaling == .llama3(Llama3RopeScaling(factor: 32, lowFreqFactor: 1, highFreqFactor: 4,
                                                           originalMaxPositionEmbeddings: 8192)))
        #expect(c.eosTokenIds == [128001, 128009])
        #expect(c.tieWordEmbeddings)
        #expect(c.normEps == 1e-6)
    }

    @Test("transformers-5 form: rope_parameters, explicit head_dim")
    func newForm() throws {
        let c = try parse("""
            {"model_type": "qwen3", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "intermediate_size": 96,
             "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0}, "rms_norm_eps": 1e-6}
            """)
        #expect(c.headDim == 32 && c.numKVHeads == 2)
        #expect(c.ropeTheta == 1_000_000)
        #expect(c.ropeScaling == .none)
        #expect(!c.tieWordEmbeddings)
    }

    @Test("the config written for an import reads back the same")
    func roundTrip() throws {
        let c = try parse("""
            {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
             "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 128, "rope_theta": 10000,
             "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "bos_token_id": 1, "eos_token_id": 2}
            """)
        let again = try ModelConfig.parse(JSONSerialization.data(withJSONObject: c.jsonObject()))
        #expect(again == c)
    }

    @Test("broken or unsupported configs are clear errors", arguments: [
        "not json",
        "[1, 2]",
        #"{"vocab_size": 10}"#,
        #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 64}"#,
        #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 3, "num_key_value_heads": 2, "intermediate_size": 8}"#,
        #"{"model_type": "llama", "vocab_size": -5, "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 8}"#,
        #"{"model_type": "llama", "vocab_size": 10, "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 8, "rope_scaling": {"rope_type": "yarn", "factor": 4}}"#,
        #"{"model_type": "gpt2", "vocab_size": 10, "n_embd": 10, "n_layer": 1, "n_head": 3}"#,
    ])
    func errors(json: String) {
        #expect(throws: ModelError.self) { try parse(json) }
    }

    @Test("an unknown model_type names the supported ones")
    func unknownArchitecture() throws {
        let c = try parse("""
            {"model_type": "mamba", "vocab_size": 10, "hidden_size": 8, "num_hidden_layers": 1,
             "num_attention_heads": 2, "intermediate_size": 8}
            """)
        #expect(throws: ModelError.unsupportedArchitecture("mamba")) {
            try ModelRegistry.build(config: c, weights: Weights([:]))
        }
        #expect(ModelError.unsupportedArchitecture("mamba").description.contains("qwen2"))
    }

    @Test("a missing or misshapen weight is named in the error")
    func missingWeights() throws {
        let dir = tinyModelDirectory("qwen2")
        let c = try ModelConfig.load(directory: dir)
        var w = try SafeTensors.loadDirectory(dir)
        w["model.layers.1.mlp.up_proj.weight"] = nil
        #expect(throws: ModelError.missingWeight("model.layers.1.mlp.up_proj.weight")) {
            try ModelRegistry.build(config: c, weights: Weights(w))
        }
        w["model.layers.1.mlp.up_proj.weight"] = Tensor(shape: [3, 3])
        #expect(throws: ModelError.self) { try ModelRegistry.build(config: c, weights: Weights(w)) }
    }
}
