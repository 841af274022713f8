import FinchModels
import FinchTensor
import Foundation
import Testing

/// Writes a minimal GGUF v3 file: metadata (u32 / f32 / string values) and tensors given as raw bytes.
struct GGUFWriter {
    var kv: [(String, UInt32, [UInt8])] = []
    var tensors: [(name: String, dims: [Int], type: UInt32, data: [UInt8])] = []

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func str(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func u32(_ k: String, _ v: UInt32) { kv.append((k, 4, Self.le(v))) }
    mutating func f32(_ k: String, _ v: Float) { kv.append((k, 6, Self.le(v.bitPattern))) }
    mutating func string(_ k: String, _ v: String) { kv.append((k, 8, Self.str(v))) }

    /// An F32 tensor; `shape` in PyTorch order (ggml stores it reversed).
    mutating func f32Tensor(_ name: String, shape: [Int], _ values: [Float]) {
        tensors.append((name, shape.reversed(), 0, values.flatMap { Self.le($0.bitPattern) }))
    }

    func bytes() -> Data {
        var out: [UInt8] = Array("GGUF".utf8) + Self.le(UInt32(3)) + Self.le(UInt64(tensors.count)) + Self.le(UInt64(kv.count))
        for (k, type, value) in kv { out += Self.str(k) + Self.le(type) + value }
        var offset = 0
        var offsets: [Int] = []
        for t in tensors {
            offsets.append(offset)
            offset += (t.data.count + 31) / 32 * 32
        }
        for (t, off) in zip(tensors, offsets) {
            out += Self.str(t.name) + Self.le(UInt32(t.dims.count))
            for d in t.dims { out += Self.le(UInt64(d)) }
            out += Self.le(t.type) + Self.le(UInt64(off))
        }
        while out.count % 32 != 0 { out.append(0) }
        for t in tensors {
            out += t.data
            while out.count % 32 != 0 { out.append(0) }
        }
        return Data(out)
    }
}

@Suite("GGUF import of a synthetic file")
struct GGUFSyntheticTests {
    /// A 1-layer llama: C=8, NH=2, NKV=1, hd=4, I=16, V=5, untied.
    func llamaFile(extraTensor: (String, UInt32, [UInt8], [Int])? = nil) throws -> URL {
        var w = GGUFWriter()
        w.string("general.architecture", "llama")
        w.u32("llama.embedding_length", 8)
        w.u32("llama.block_count", 1)
        w.u32("llama.feed_forward_length", 16)
        w.u32("llama.attention.head_count", 2)
        w.u32("llama.attention.head_count_kv", 1)
        w.u32("llama.context_length", 64)
        w.u32("llama.vocab_size", 5)
        w.f32("llama.rope.freq_base", 50000)
        w.f32("llama.attention.layer_norm_rms_epsilon", 1e-5)
        w.u32("tokenizer.ggml.eos_token_id", 2)
        func seq(_ n: Int) -> [Float] { (0..<n).map(Float.init) }
        w.f32Tensor("token_embd.weight", shape: [5, 8], seq(40))
        w.f32Tensor("output.weight", shape: [5, 8], seq(40))
        w.f32Tensor("output_norm.weight", shape: [8], seq(8))
        w.f32Tensor("blk.0.attn_norm.weight", shape: [8], seq(8))
        w.f32Tensor("blk.0.ffn_norm.weight", shape: [8], seq(8))
        w.f32Tensor("blk.0.attn_q.weight", shape: [8, 8], seq(64))
        w.f32Tensor("blk.0.attn_k.weight", shape: [4, 8], seq(32))
        w.f32Tensor("blk.0.attn_v.weight", shape: [4, 8], seq(32))
        w.f32Tensor("blk.0.attn_output.weight", shape: [8, 8], seq(64))
        w.f32Tensor("blk.0.ffn_gate.weight", shape: [16, 8], seq(128))
        w.f32Tensor("blk.0.ffn_up.weight", shape: [16, 8], seq(128))
        w.f32Tensor("blk.0.ffn_down.weight", shape: [8, 16], seq(128))
        if let (name, type, data, shape) = extraTensor { w.tensors.append((name, shape.reversed(), type, data)) }
        return try temporaryFile(w.bytes(), name: "tiny.gguf")
    }

    @Test("config comes from the metadata; embeddings are untied when output.weight exists")
    func config() throws {
        let c = try GGUFImporter(url: llamaFile()).config()
        #expect(c.modelType == "llama" && c.hiddenSize == 8 && c.numHeads == 2 && c.numKVHeads == 1 && c.headDim == 4)
        #expect(c.intermediateSize == 16 && c.vocabSize == 5 && c.maxPositionEmbeddings == 64)
        #expect(c.ropeTheta == 50000 && !c.tieWordEmbeddings && c.eosTokenIds == [2])
    }

    @Test("weights get HF names and q/k rows are un-permuted per head")
    func weights() throws {
        let imp = try GGUFImporter(url: llamaFile())
        let c = try imp.config()
        let w = try imp.weights(config: c)
        #expect(w["model.layers.0.mlp.down_proj.weight"]?.shape == [8, 16])
        #expect(w["lm_head.weight"] != nil && w["model.norm.weight"] != nil)
        // q: 2 heads of hd 4; GGUF rows (per head) 0,1,2,3 hold HF rows 0,2,1,3
        let q = try #require(w["model.layers.0.self_attn.q_proj.weight"])
        let firstColumn = (0..<8).map { q[flat: $0 * 8] }
        #expect(firstColumn == [0, 16, 8, 24, 32, 48, 40, 56])
        let v = try #require(w["model.layers.0.self_attn.v_proj.weight"])
        #expect(v.toArray() == (0..<32).map(Float.init))
        // the result builds and runs
        let model = try ModelRegistry.build(config: c, weights: Weights(w))
        let logits = try model.forward(tokens: [1, 2], B: 1, T: 2, cache: nil, lastOnly: true)
        #expect(logits.shape == [1, 1, 5])
    }

    @Test("a tensor of an unsupported type is named in the error")
    func unsupportedType() throws {
        // Q6_K (type 14): 256 values in 210 bytes
        let url = try llamaFile(extraTensor: ("blk.0.attn_q.bias", 14, [UInt8](repeating: 0, count: 210), [256]))
        let imp = try GGUFImporter(url: url)
        #expect(throws: ModelError.unsupportedQuantization(tensor: "blk.0.attn_q.bias", type: "Q6_K")) {
            _ = try imp.weights(config: imp.config())
        }
    }

    @Test("a truncated file is a clear error")
    func truncated() throws {
        let full = try Data(contentsOf: llamaFile())
        let url = try temporaryFile(full.prefix(full.count / 2), name: "half.gguf")
        #expect(throws: ModelError.self) { _ = try GGUFImporter(url: url) }
    }
}
