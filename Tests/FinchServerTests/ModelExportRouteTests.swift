import FinchAPI
import FinchModels
import FinchServer
import FinchStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The entries of an uncompressed tar: name → bytes (directories map to empty data).
func untar(_ data: Data) throws -> [(name: String, bytes: Data)] {
    var entries: [(String, Data)] = []
    var offset = 0
    let bytes = [UInt8](data)
    while offset + 512 <= bytes.count {
        let header = Array(bytes[offset..<(offset + 512)])
        if header.allSatisfy({ $0 == 0 }) { break }
        func field(_ start: Int, _ width: Int) -> String {
            String(decoding: header[start..<(start + width)].prefix { $0 != 0 }, as: UTF8.self)
        }
        #expect(field(257, 5) == "ustar")
        let stored = Int(field(148, 8).trimmingCharacters(in: .whitespaces), radix: 8)
        var sum = 0
        for (i, b) in header.enumerated() { sum += (148..<156).contains(i) ? 32 : Int(b) }
        #expect(stored == sum)
        let size = try #require(Int(field(124, 12).trimmingCharacters(in: .whitespaces), radix: 8))
        let start = offset + 512
        entries.append((field(0, 100), Data(bytes[start..<(start + size)])))
        offset = start + (size + 511) / 512 * 512
    }
    #expect(bytes.count == offset + 1024)
    return entries
}

@Suite("Model export route")
struct ModelExportRouteTests {
    let key = headers(key: TestServer.keyA)

    /// A PEFT adapter for the tiny llama's layer-0 q_proj, as safetensors bytes written by hand.
    static func writeAdapter(to dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var floats: [Float] = []
        for i in 0..<(2 * 64 + 64 * 2) { floats.append(Float((i * 37) % 19 - 9) / 40) }
        let header = #"{"base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight":{"dtype":"F32","shape":[2,64],"data_offsets":[0,512]},"base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight":{"dtype":"F32","shape":[64,2],"data_offsets":[512,1024]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        floats.withUnsafeBytes { data.append(contentsOf: $0) }
        try data.write(to: URL(fileURLWithPath: dir + "/adapter_model.safetensors"))
        try Data(#"{"peft_type": "LORA", "r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}"#.utf8)
            .write(to: URL(fileURLWithPath: dir + "/adapter_config.json"))
    }

    /// Tenant A's succeeded job on tiny-llama (rope scaling removed so GGUF can hold it), with a checkpoint.
    func prepare(_ server: TestServer) async throws -> (model: String, checkpoint: String) {
        try server.installTinyModel()
        let config = server.directory + "/models/tiny-llama/config.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: config))) as! [String: Any]
        json["rope_parameters"] = ["rope_type": "default", "rope_theta": 10000.0]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: config))
        let store = server.services.store
        let job = StoredJob(id: "ftjob-export1", tenant: Tenant(organization: "org-a", project: "proj-1"), model: "tiny-llama",
                            trainingFile: "file-x", validationFile: nil, status: .running, createdAt: server.now, seed: 1,
                            suffix: "marv", hyperparameters: Hyperparameters(), method: FineTuneMethod(type: "supervised"),
                            integrations: [], metadata: nil, finch: nil)
        try await store.insertJob(job, events: [])
        try Self.writeAdapter(to: server.services.modelFiles.modelDirectory(of: job.id))
        let checkpointDirectory = server.directory + "/jobs/ftjob-export1/ckpt"
        try Self.writeAdapter(to: checkpointDirectory)
        let model = "ft:tiny-llama:org-a:marv:export1"
        _ = try await store.insertCheckpoint(StoredCheckpoint(jobID: job.id, createdAt: server.now, modelName: model + ":ckpt-step-10",
                                                              stepNumber: 10, metrics: [:], directory: checkpointDirectory), keep: 3)
        _ = try await store.transitionJob(id: job.id, tenant: nil, from: [.running], to: .succeeded,
                                          changes: JobChanges(finishedAt: server.now, fineTunedModel: model), events: [])
        return (model, model + ":ckpt-step-10")
    }

    @Test("a fine-tuned model downloads as GGUF with a file name, and the temp build is gone afterwards")
    func gguf() async throws {
        let server = try TestServer()
        let (model, _) = try await prepare(server)
        try await server.test { client in
            let response = try await client.execute(uri: "/v1/models/\(model)/export?format=gguf&dtype=q8_0", method: .get, headers: key)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/octet-stream")
            #expect(response.headers[.contentDisposition] == "attachment; filename=\"ft-tiny-llama-org-a-marv-export1.gguf\"")
            #expect(response.headers[.contentLength] == String(response.body.readableBytes))
            let gguf = try GGUFFile(data: Data(buffer: response.body))
            #expect(gguf.metadata.string("general.architecture") == "llama")
            #expect(gguf.metadata.string("general.name") == model)
            #expect(gguf.tensor(named: "blk.0.attn_q.weight")?.type == .q8_0)
            #expect(gguf.tensors.count == 2 * 9 + 3)
        }
        #expect(server.filesOnDisk().filter { $0.hasPrefix("tmp/export-") }.isEmpty)
    }

    @Test("directory formats download as a tar: the merged HF directory, or the adapter as trained (also of a checkpoint)")
    func tarDownloads() async throws {
        let server = try TestServer()
        let (model, checkpoint) = try await prepare(server)
        try await server.test { client in
            let merged = try await client.execute(uri: "/v1/models/\(model)/export?format=safetensors&dtype=f16", method: .get, headers: key)
            #expect(merged.status == .ok)
            #expect(merged.headers[.contentType] == "application/x-tar")
            #expect(merged.headers[.contentDisposition] == "attachment; filename=\"ft-tiny-llama-org-a-marv-export1.tar\"")
            let entries = try untar(Data(buffer: merged.body))
            let stem = "ft-tiny-llama-org-a-marv-export1"
            #expect(entries.map(\.name) == ["\(stem)/", "\(stem)/chat_template.jinja", "\(stem)/config.json",
                                            "\(stem)/model.safetensors", "\(stem)/tokenizer.json", "\(stem)/tokenizer_config.json"])
            let config = try #require(entries.first { $0.name.hasSuffix("config.json") && !$0.name.contains("tokenizer") })
            #expect((try JSONSerialization.jsonObject(with: config.bytes) as? [String: Any])?["torch_dtype"] as? String == "float16")

            let peft = try await client.execute(uri: "/v1/models/\(checkpoint)/export?format=peft", method: .get, headers: key)
            #expect(peft.status == .ok)
            let files = try untar(Data(buffer: peft.body))
            let adapter = try Data(contentsOf: URL(fileURLWithPath: server.directory + "/jobs/ftjob-export1/ckpt/adapter_model.safetensors"))
            #expect(files.map(\.name).sorted() == ["\(stem)-ckpt-step-10/", "\(stem)-ckpt-step-10/adapter_config.json",
                                                   "\(stem)-ckpt-step-10/adapter_model.safetensors"])
            #expect(files.first { $0.name.hasSuffix("adapter_model.safetensors") }?.bytes == adapter)
        }
        #expect(server.filesOnDisk().filter { $0.hasPrefix("tmp/export-") }.isEmpty)
    }

    @Test("bad format or dtype is a 400 naming the parameter; unknown and other tenants' models are 404")
    func errors() async throws {
        let server = try TestServer()
        let (model, _) = try await prepare(server)
        try await server.test { client in
            for (query, param) in [("", "format"), ("?format=zip", "format"), ("?format=safetensors&dtype=q8_0", "dtype"),
                                   ("?format=gguf&dtype=bf16", "dtype"), ("?format=gguf&dtype=f64", "dtype")] {
                let response = try await client.execute(uri: "/v1/models/\(model)/export\(query)", method: .get, headers: key)
                #expect(response.status == .badRequest, "\(query)")
                #expect(try errorBody(response).param == param, "\(query)")
            }
            let basePeft = try await client.execute(uri: "/v1/models/tiny-llama/export?format=peft", method: .get, headers: key)
            #expect(basePeft.status == .badRequest)
            #expect(try errorBody(basePeft).message.contains("nothing to export as peft"))
            for (name, caller) in [(model, TestServer.keyB), ("no-such-model", TestServer.keyA)] {
                let response = try await client.execute(uri: "/v1/models/\(name)/export?format=gguf", method: .get, headers: headers(key: caller))
                #expect(response.status == .notFound)
                #expect(try errorBody(response).code == "model_not_found")
            }
        }
        #expect(server.filesOnDisk().filter { $0.hasPrefix("tmp/export-") }.isEmpty)
    }
}
