import FinchModels
import FinchTensor
import Foundation
import Testing

func dequantize(_ type: GGMLType, _ bytes: [UInt8], count: Int) throws -> [Float] {
    let out = Tensor(shape: [count])
    try bytes.withUnsafeBytes { raw in
        try GGUFDequantize.dequantize(type: type, raw: raw, count: count, into: out.ptr, name: "t")
    }
    return out.toArray()
}

/// f16 bit patterns, little-endian bytes.
let half2: [UInt8] = [0x00, 0x40]      // 2.0
let halfQuarter: [UInt8] = [0x00, 0x34] // 0.25
let halfMinus1: [UInt8] = [0x00, 0xBC]  // -1.0

@Suite("GGUF import")
struct GGUFImportTests {
    @Test("Q8_0 blocks: y = q * d")
    func q8_0() throws {
        let qs: [Int8] = (0..<32).map { Int8($0 - 16) }
        let y = try dequantize(.q8_0, half2 + qs.map { UInt8(bitPattern: $0) }, count: 32)
        let expected: [Float] = (0..<32).map { (i: Int) -> Float in Float(i - 16) * 2 }
        #expect(y == expected)
    }

    @Test("Q4_0 blocks: low nibbles first, y = (q - 8) * d")
    func q4_0() throws {
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8(15 - $0) << 4 }
        let y = try dequantize(.q4_0, halfQuarter + qs, count: 32)
        let lo: [Float] = (0..<16).map { (i: Int) -> Float in Float(i - 8) * 0.25 }
        let hi: [Float] = (0..<16).map { (i: Int) -> Float in Float(7 - i) * 0.25 }
        #expect(Array(y[0..<16]) == lo)
        #expect(Array(y[16..<32]) == hi)
    }

    @Test("Q4_1 blocks: y = q * d + m")
    func q4_1() throws {
        let qs: [UInt8] = (0..<16).map { UInt8($0) | UInt8($0 / 2) << 4 }
        let y = try dequantize(.q4_1, halfQuarter + halfMinus1 + qs, count: 32)
        let lo: [Float] = (0..<16).map { (i: Int) -> Float in Float(i) * 0.25 - 1 }
        let hi: [Float] = (0..<16).map { (i: Int) -> Float in Float(i / 2) * 0.25 - 1 }
        #expect(Array(y[0..<16]) == lo)
        #expect(Array(y[16..<32]) == hi)
    }

    @Test("unsupported quantizations name the type; short data is an error")
    func unsupported() throws {
        #expect(throws: ModelError.unsupportedQuantization(tensor: "t", type: "Q5_K")) {
            _ = try dequantize(.q5_K, [UInt8](repeating: 0, count: 176), count: 256)
        }
        #expect(ModelError.unsupportedQuantization(tensor: "t", type: "Q5_K").description.contains("not supported yet"))
        #expect(throws: ModelError.self) { _ = try dequantize(.q8_0, [0, 0, 1], count: 32) }
    }

    @Test("unpermuting q/k undoes llama.cpp's permute")
    func unpermute() throws {
        let heads = 3, hd = 4, cols = 2
        let hf = (0..<(heads * hd * cols)).map(Float.init)
        // llama.cpp: reshape(heads, 2, hd/2, cols).swapaxes(1, 2)
        var gguf = [Float](repeating: 0, count: hf.count)
        for h in 0..<heads { for a in 0..<2 { for b in 0..<(hd / 2) { for c in 0..<cols {
            gguf[((h * hd) + 2 * b + a) * cols + c] = hf[((h * hd) + a * hd / 2 + b) * cols + c]
        } } } }
        let back = try GGUFDequantize.unpermuteQK(Tensor(shape: [heads * hd, cols], values: gguf), heads: heads)
        #expect(back.toArray() == hf)
    }

    @Test("GGUF tensor names map to HF keys")
    func names() {
        #expect(GGUFImporter.hfName("token_embd.weight") == "model.embed_tokens.weight")
        #expect(GGUFImporter.hfName("blk.12.attn_q.weight") == "model.layers.12.self_attn.q_proj.weight")
        #expect(GGUFImporter.hfName("blk.0.attn_k.bias") == "model.layers.0.self_attn.k_proj.bias")
        #expect(GGUFImporter.hfName("blk.3.ffn_down.weight") == "model.layers.3.mlp.down_proj.weight")
        #expect(GGUFImporter.hfName("blk.3.attn_k_norm.weight") == "model.layers.3.self_attn.k_norm.weight")
        #expect(GGUFImporter.hfName("blk.x.ffn_down.weight") == nil)
        #expect(GGUFImporter.hfName("rope_freqs.weight") == nil)
    }

    @Test("a file that is not GGUF is a clear error")
    func notGGUF() throws {
        let url = try temporaryFile(Data("definitely not a gguf file".utf8), name: "x.gguf")
        #expect(throws: ModelError.self) { _ = try GGUFImporter(url: url) }
        #expect(throws: ModelError.self) {
            try ModelImporter.importGGUF(url, to: url.deletingLastPathComponent().appendingPathComponent("out"))
        }
        #expect(!FileManager.default.fileExists(atPath: url.deletingLastPathComponent().appendingPathComponent("out").path))
    }

    @Test("importing an HF directory links its files and refuses to overwrite")
    func importDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("finch-imp-\(UUID().uuidString)")
        let dest = root.appendingPathComponent("tiny")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try ModelImporter.importDirectory(tinyModelDirectory("gpt2"), to: dest)
        let files = try FileManager.default.contentsOfDirectory(atPath: dest.path).sorted()
        #expect(files.contains("model.safetensors") && files.contains("tokenizer.json") && !files.contains("reference.json"))
        #expect(try ModelLoader.loadModel(directory: dest).config.modelType == "gpt2")
        #expect(throws: ModelError.self) { try ModelImporter.importDirectory(tinyModelDirectory("gpt2"), to: dest) }
        try? FileManager.default.removeItem(at: root)
    }
}
