import FinchInference
import FinchModels
import FinchTensor
import Foundation
import Testing

/// Writes a PEFT LoRA adapter for the tiny llama: q_proj and v_proj of layer 0, rank 2.
func writeAdapter(to dir: URL, scaleB: Float, alpha: Double = 4) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    var tensors: [String: Tensor] = [:]
    var seed: UInt64 = 7
    func values(_ n: Int, _ scale: Float) -> [Float] {
        (0..<n).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return (Float(seed >> 40) / Float(1 << 24) - 0.5) * scale
        }
    }
    for proj in ["q_proj", "v_proj"] {
        let out = proj == "q_proj" ? 64 : 32
        let stem = "base_model.model.model.layers.0.self_attn.\(proj)"
        tensors["\(stem).lora_A.weight"] = Tensor(shape: [2, 64], values: values(128, 1))
        tensors["\(stem).lora_B.weight"] = Tensor(shape: [out, 2], values: values(out * 2, scaleB))
    }
    try SafeTensors.write(tensors, to: dir.appendingPathComponent("adapter_model.safetensors"))
    let config = #"{"peft_type": "LORA", "r": 2, "lora_alpha": \#(alpha), "target_modules": ["q_proj", "v_proj"], "base_model_name_or_path": "a"}"#
    try Data(config.utf8).write(to: dir.appendingPathComponent("adapter_config.json"))
}

@Suite("LoRA adapters on the model host")
struct AdapterTests {
    @Test("a registered adapter is servable at once on the shared base, which it leaves unchanged")
    func registerAndApply() async throws {
        let root = try modelsDirectory(["a": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let adapterDir = root.appendingPathComponent("../adapter-" + UUID().uuidString).standardized
        defer { try? FileManager.default.removeItem(at: adapterDir) }
        try writeAdapter(to: adapterDir, scaleB: 4)
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let name = "ft:a:org-a:marv:ftjob-1"
        await #expect(throws: ModelHostError.modelNotFound(name)) { _ = try await host.model(named: name) }
        try await host.registerAdapter(name: name, base: "a", directory: adapterDir)
        let tuned = try await host.model(named: name)
        let base = try await host.model(named: "a")
        #expect(tuned.baseName == "a" && tuned.adapterDirectory == adapterDir)

        let adapter = try LoRAAdapter.load(directory: adapterDir)
        #expect(adapter.scale == 2)
        // served unmerged: the tuned model runs the base's weights (the same storages) plus the adapter's A/B
        let key = "model.layers.0.self_attn.q_proj.weight", embed = "model.embed_tokens.weight"
        for name in [key, embed] {
            #expect(base.model.network.weights.tensors[name]!.storage === tuned.model.network.weights.tensors[name]!.storage)
        }
        #expect(tuned.bytes == Int64(adapter.pairs.values.reduce(0) { $0 + $1.a.count + $1.b.count }) * 4)

        let prompt = GenerationRequest(promptIds: [1, 2, 3, 4], maxTokens: 12, sampling: .greedy)
        let fromBase = try await run(host, base, prompt).1?.tokenIds
        let fromTuned = try await run(host, tuned, prompt).1?.tokenIds
        #expect(fromBase != fromTuned)
        #expect(try await run(host, try await host.model(named: "a"), prompt).1?.tokenIds == fromBase)

        // Registering again (by the jobs system and by a request, through an alias of the base) keeps the loaded model.
        await host.setAlias("a-alias", for: "a")
        try await host.registerAdapter(name: name, base: "a-alias", directory: adapterDir)
        #expect(try await host.model(named: name) === tuned)

        await host.unregisterAdapter(name: name)
        await #expect(throws: ModelHostError.self) { _ = try await host.model(named: name) }
    }

    @Test("a zero lora_B leaves the model's output unchanged; broken adapters are refused")
    func zeroAndBroken() async throws {
        let root = try modelsDirectory(["a": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = root.appendingPathComponent("../zero-" + UUID().uuidString).standardized
        defer { try? FileManager.default.removeItem(at: dir) }
        try writeAdapter(to: dir, scaleB: 0)
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        try await host.registerAdapter(name: "zero", base: "a", directory: dir)
        let prompt = GenerationRequest(promptIds: [1, 2, 3, 4], maxTokens: 12, sampling: .greedy)
        let a = try await run(host, try await host.model(named: "a"), prompt).1?.tokenIds
        let z = try await run(host, try await host.model(named: "zero"), prompt).1?.tokenIds
        #expect(a == z)

        await #expect(throws: ModelHostError.self) {
            try await host.registerAdapter(name: "x", base: "a", directory: root.appendingPathComponent("nothing-here"))
        }
        await #expect(throws: ModelHostError.modelNotFound("missing-base")) {
            try await host.registerAdapter(name: "x", base: "missing-base", directory: dir)
        }
        try Data(#"{"peft_type": "LORA", "r": 0}"#.utf8).write(to: dir.appendingPathComponent("adapter_config.json"))
        try await host.registerAdapter(name: "broken", base: "a", directory: dir)
        await #expect(throws: ModelHostError.self) { _ = try await host.model(named: "broken") }
    }
}

@Suite("Tool calls in generated text")
struct ToolCallParserTests {
    @Test("Hermes/Qwen <tool_call> blocks, several, with content around and a cut-off closing tag")
    func hermes() {
        let text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>{\"name\": \"time\", \"arguments\": {}}"
        let (content, calls) = ToolCallParser.parse(text)
        #expect(content == "Let me check.")
        #expect(calls == [ParsedToolCall(name: "get_weather", arguments: #"{"city": "Paris"}"#),
                          ParsedToolCall(name: "time", arguments: "{}")])
    }

    @Test("a reply that is only a JSON call (Llama 3 style, parameters or arguments, or a list) is a call")
    func bareJSON() {
        #expect(ToolCallParser.parse(#" {"name": "f", "parameters": {"x": 1}} "#).calls == [ParsedToolCall(name: "f", arguments: #"{"x": 1}"#)])
        #expect(ToolCallParser.parse(#"[{"name": "f", "arguments": "{\"x\": 2}"}, {"name": "g"}]"#).calls
            == [ParsedToolCall(name: "f", arguments: #"{"x": 2}"#), ParsedToolCall(name: "g", arguments: "{}")])
        #expect(ToolCallParser.parse(#"{"type": "function", "function": {"name": "h", "arguments": {}}}"#).calls.map(\.name) == ["h"])
    }

    @Test("text that does not parse stays content")
    func notCalls() {
        for text in ["Hello {world}", "<tool_call>not json</tool_call>", #"{"no_name": 1}"#, "plain"] {
            let (content, calls) = ToolCallParser.parse(text)
            #expect(calls.isEmpty && content == text)
        }
        #expect(ToolCallParser.mayBeginCall("Sure <tool") && ToolCallParser.mayBeginCall("  {\"na"))
        #expect(!ToolCallParser.mayBeginCall("Sure, here"))
    }
}
