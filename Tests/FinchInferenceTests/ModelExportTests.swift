import FinchInference
import FinchModels
import FinchTensor
import Foundation
import Testing

/// A scratch directory for one test.
private func scratch() throws -> URL {
    let dir = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("finch-export-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A copy of a tiny fixture model; for llama without its llama3 rope scaling (GGUF keeps that in a
/// rope_freqs tensor the importer does not read yet).
private func tinyCopy(_ arch: String, in root: URL) throws -> URL {
    let dir = root.appendingPathComponent("base-\(arch)")
    try FileManager.default.copyItem(at: tinyDirectory(arch), to: dir)
    if arch == "llama" {
        let url = dir.appendingPathComponent("config.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["rope_parameters"] = ["rope_type": "default", "rope_theta": 10000.0]
        try JSONSerialization.data(withJSONObject: json).write(to: url)
    }
    return dir
}

/// Logits (T, V) of a network for one sequence.
private func logits(_ network: any CausalLanguageModel, _ tokens: [Int32]) throws -> [Float] {
    let out = try network.forward(tokens: tokens, B: 1, T: tokens.count, cache: nil, lastOnly: false)
    return (0..<out.count).map { out[flat: $0] }
}

private func maxAbsDiff(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

private let prompt: [Int32] = [5, 17, 99, 42, 7, 250, 31, 64, 12, 3]

@Suite("Model export")
struct ModelExportTests {
    @Test("a merged safetensors export reloads with the logits of base plus adapter on the model host")
    func mergedSafetensors() async throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let models = root.appendingPathComponent("models")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: tinyDirectory("llama"), to: models.appendingPathComponent("tiny"))
        let adapter = root.appendingPathComponent("adapter")
        try writeAdapter(to: adapter, scaleB: 4)

        let host = ModelHost(configuration: .init(modelsDirectory: models))
        try await host.registerAdapter(name: "ft:tiny:org:x:1", base: "tiny", directory: adapter)
        let served = try await host.model(named: "ft:tiny:org:x:1")
        let reference = try logits(served.model.network, prompt)
        let base = try logits(try await host.model(named: "tiny").model.network, prompt)
        #expect(maxAbsDiff(reference, base) > 1e-2)  // the adapter changes the output

        let job = ModelExportJob(baseDirectory: models.appendingPathComponent("tiny"), fineTunedDirectory: adapter, name: "ft:tiny:org:x:1")
        let out = root.appendingPathComponent("merged")
        try job.run(format: .safetensors, to: out)
        let files = Set(try FileManager.default.contentsOfDirectory(atPath: out.path))
        #expect(files == ["chat_template.jinja", "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"])
        let exported = try LoadedModel.load(directory: out)
        #expect(maxAbsDiff(try logits(exported.network, prompt), reference) <= 1e-4)
        #expect(exported.tokenizer.encode("hello world") == served.model.tokenizer.encode("hello world"))

        let half = root.appendingPathComponent("merged-bf16")
        try job.run(format: .safetensors, dtype: .bf16, to: half)
        let st = try SafeTensorsFile(path: half.appendingPathComponent("model.safetensors").path)
        #expect(st.entries.values.allSatisfy { $0.dtype == "BF16" })
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: half.appendingPathComponent("config.json"))) as! [String: Any]
        #expect(config["torch_dtype"] as? String == "bfloat16")
        #expect(maxAbsDiff(try logits(try LoadedModel.load(directory: half).network, prompt), reference) < 0.05)
    }

    @Test("GGUF exports read back by the GGUF importer give the same logits and tokenizer", arguments: ["llama", "qwen2", "qwen3"])
    func ggufRoundTrip(arch: String) throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = try tinyCopy(arch, in: root)
        var adapter: URL?
        if arch == "llama" {
            adapter = root.appendingPathComponent("adapter")
            try writeAdapter(to: adapter!, scaleB: 4)
        }
        let job = ModelExportJob(baseDirectory: base, fineTunedDirectory: adapter, name: "tiny-\(arch)")
        let (weights, config) = try job.mergedWeights()
        let reference = try logits(try ModelRegistry.build(config: config, weights: Weights(weights)), prompt)
        let original = try LoadedModel.load(directory: base)

        // F32 is exact up to summation order; F16 and Q8_0 within what their rounding moves logits of this model.
        for (dtype, tolerance) in [(ExportDType.f32, Float(1e-4)), (.f16, 2e-2), (.q8_0, 1e-1)] {
            let file = root.appendingPathComponent("\(arch)-\(dtype.rawValue).gguf")
            try job.run(format: .gguf, dtype: dtype, to: file)
            let gguf = try GGUFFile(url: file)
            #expect(gguf.version == 3 && gguf.alignment == 32)
            #expect(gguf.metadata.string("general.architecture") == arch)
            #expect(gguf.metadata.string("tokenizer.ggml.model") == "gpt2")
            #expect(gguf.metadata.string("tokenizer.ggml.pre") == "gpt-2")
            #expect(gguf.tensors.allSatisfy { $0.relativeOffset % 32 == 0 })
            let norm = try #require(gguf.tensor(named: "blk.0.attn_norm.weight"))
            let query = try #require(gguf.tensor(named: "blk.0.attn_q.weight"))
            #expect(norm.type == .f32)
            #expect(query.type == (dtype == .f32 ? .f32 : dtype == .f16 ? .f16 : .q8_0))
            #expect(query.dimensions == [config.hiddenSize, config.numHeads * config.headDim])
            #expect((gguf.tensor(named: "output.weight") == nil) == config.tieWordEmbeddings)

            let imported = root.appendingPathComponent("imported-\(arch)-\(dtype.rawValue)")
            try ModelImporter.importGGUF(file, to: imported)
            let model = try LoadedModel.load(directory: imported)
            let diff = maxAbsDiff(try logits(model.network, prompt), reference)
            #expect(diff <= tolerance, "\(arch) \(dtype): max |Δlogit| \(diff)")
            for text in ["Hello world, 123 tokens!", "<|im_start|>user\nhi<|im_end|>"] {
                #expect(model.tokenizer.encode(text) == original.tokenizer.encode(text))
            }
            #expect(model.chatTemplate == original.chatTemplate)
            #expect(model.eosTokenIds.isSuperset(of: config.eosTokenIds))
        }
    }

    @Test("peft copies the adapter as is; base models, wrong dtypes and unsupported models are refused without leaving files")
    func refusals() throws {
        let root = try scratch()
        defer { try? FileManager.default.removeItem(at: root) }
        let adapter = root.appendingPathComponent("adapter")
        try writeAdapter(to: adapter, scaleB: 1)
        let tuned = ModelExportJob(baseDirectory: tinyDirectory("llama"), fineTunedDirectory: adapter, name: "ft")
        let peft = root.appendingPathComponent("peft")
        try tuned.run(format: .peft, to: peft)
        for file in ["adapter_config.json", "adapter_model.safetensors"] {
            #expect(try Data(contentsOf: peft.appendingPathComponent(file)) == Data(contentsOf: adapter.appendingPathComponent(file)))
        }
        #expect(throws: ExportError.outputExists(peft.path)) { try tuned.run(format: .peft, to: peft) }

        let base = ModelExportJob(baseDirectory: tinyDirectory("llama"), name: "tiny")
        #expect(throws: ExportError.notAnAdapter("tiny")) { try base.run(format: .peft, to: root.appendingPathComponent("x")) }
        #expect(throws: ExportError.unsupportedDType(format: .safetensors, dtype: .q8_0)) {
            try base.run(format: .safetensors, dtype: .q8_0, to: root.appendingPathComponent("x"))
        }
        #expect(throws: ExportError.unsupportedDType(format: .gguf, dtype: .bf16)) {
            try base.run(format: .gguf, dtype: .bf16, to: root.appendingPathComponent("x.gguf"))
        }
        // The fixture's llama3 rope scaling and GPT-2 have no GGUF writer yet: clear errors, nothing written.
        #expect(throws: ExportError.self) { try base.run(format: .gguf, to: root.appendingPathComponent("x.gguf")) }
        let gpt2 = ModelExportJob(baseDirectory: tinyDirectory("gpt2"), name: "gpt2")
        #expect(throws: ExportError.unsupported("GGUF export supports llama-family, qwen2 and qwen3 models, not gpt2")) {
            try gpt2.run(format: .gguf, to: root.appendingPathComponent("x.gguf"))
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        #expect(left == ["adapter", "peft"])
    }
}
