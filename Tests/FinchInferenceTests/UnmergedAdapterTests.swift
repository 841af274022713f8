import FinchInference
import FinchModels
import FinchTensor
import Foundation
import Testing

/// The peft adapters of scripts/make_training_fixtures.py: random A and non-zero B (r=4, alpha=8) on every
/// linear layer of the tiny models, with peft's weighted loss on `batch.json` in `lora_grads.safetensors`.
private func peftFixture(_ arch: String) -> URL {
    repoRoot.appendingPathComponent("Tests/FinchTrainingTests/Fixtures/\(arch)")
}

/// W + scale·B·A for every adapted weight — the merged model the served (unmerged) one must equal. GPT-2's
/// Conv1D weights are stored (in, out).
private func mergedWeights(_ base: Weights, pairs: [String: (a: Tensor, b: Tensor)], scale: Double) -> Weights {
    var tensors = base.tensors
    let s = Float(scale)
    for (name, (a, b)) in pairs {
        let w = base.tensors[name]!, merged = w.copy()
        let r = a.shape[0], C = a.shape[1], OC = b.shape[0]
        let transposed = name.contains("attn.c_") || name.contains("mlp.c_")  // GPT-2's Conv1D
        for o in 0..<OC {
            for c in 0..<C {
                var delta: Float = 0
                for k in 0..<r { delta += b[flat: o * r + k] * a[flat: k * C + c] }
                merged[flat: transposed ? c * OC + o : o * C + c] += s * delta
            }
        }
        tensors[name] = merged
    }
    return Weights(tensors)
}

private func maxAbsDiff(_ x: Tensor, _ y: Tensor) -> Float {
    precondition(x.count == y.count)
    var m: Float = 0
    for i in 0..<x.count { m = max(m, abs(x[flat: i] - y[flat: i])) }
    return m
}

@Suite("LoRA adapters applied per request without merging")
struct UnmergedAdapterTests {
    static let archs = ["llama", "qwen2", "qwen3", "gpt2"]

    @Test("the base network plus the adapter's A/B gives peft's loss on the fixture batch", arguments: archs)
    func peftLoss(arch: String) throws {
        let network = try ModelLoader.loadModel(directory: tinyDirectory(arch))
        let lora = try LoRAAdapter.load(directory: peftFixture(arch).appendingPathComponent("lora_init"))
        let adapter = try LinearAdapter(pairs: lora.pairs, scale: lora.scale, base: network.weights)
        #expect(adapter.layerCount == lora.pairs.count && adapter.layerCount >= 6)
        let reference = try SafeTensorsFile(path: peftFixture(arch).appendingPathComponent("lora_grads.safetensors").path)
            .tensor("__loss__")[flat: 0]
        let batch = try JSONSerialization.jsonObject(
            with: Data(contentsOf: peftFixture(arch).appendingPathComponent("batch.json"))) as! [String: Any]
        var total = 0.0, weightSum = 0.0, baseTotal = 0.0
        for sequence in batch["sequences"] as! [[String: Any]] {
            let ids = (sequence["ids"] as! [NSNumber]).map { Int32($0.intValue) }
            let weights = (sequence["weights"] as! [NSNumber]).map(\.doubleValue)
            let T = ids.count, V = network.config.vocabSize
            let logits = try network.forward(tokens: ids, B: 1, T: T, cache: nil, lastOnly: false, adapter: adapter)
            let plain = try network.forward(tokens: ids, B: 1, T: T, cache: nil, lastOnly: false)
            for t in 0..<(T - 1) where weights[t + 1] != 0 {
                func nll(_ l: Tensor) -> Double {
                    let row = (0..<V).map { Double(l[flat: t * V + $0]) }
                    let m = row.max()!
                    return m + log(row.reduce(0) { $0 + exp($1 - m) }) - row[Int(ids[t + 1])]
                }
                total += weights[t + 1] * nll(logits)
                baseTotal += weights[t + 1] * nll(plain)
                weightSum += weights[t + 1]
            }
        }
        #expect(abs(total / weightSum - Double(reference)) < 1e-4)
        // the adapter matters: the base alone is far from peft's adapted loss
        #expect(abs(baseTotal / weightSum - Double(reference)) > 1e-3)
    }

    /// The fixture's rank-4 pairs, or (`rank` 8, the rank-r kernels' path) each pair stacked with a scaled copy of
    /// itself: A = [A; 0.5·A], B = [B, −3·B].
    static func pairs(_ lora: LoRAAdapter, rank: Int) -> [String: (a: Tensor, b: Tensor)] {
        guard rank == 8 else { return lora.pairs }
        return lora.pairs.mapValues { a, b in
            let r = a.shape[0], C = a.shape[1], OC = b.shape[0]
            let a8 = Tensor(shape: [2 * r, C]), b8 = Tensor(shape: [OC, 2 * r])
            for k in 0..<r {
                for c in 0..<C {
                    a8[flat: k * C + c] = a[flat: k * C + c]
                    a8[flat: (r + k) * C + c] = 0.5 * a[flat: k * C + c]
                }
            }
            for o in 0..<OC {
                for k in 0..<r {
                    b8[flat: o * 2 * r + k] = b[flat: o * r + k]
                    b8[flat: o * 2 * r + r + k] = -3 * b[flat: o * r + k]
                }
            }
            return (a8, b8)
        }
    }

    @Test("unmerged logits equal the merged W + scale·B·A within 1e-5, in one pass and decoding with the cache",
          arguments: ["llama", "gpt2"], [4, 8])
    func equalsMerged(arch: String, rank: Int) throws {
        let network = try ModelLoader.loadModel(directory: tinyDirectory(arch))
        let lora = try LoRAAdapter.load(directory: peftFixture(arch).appendingPathComponent("lora_init"))
        let pairs = Self.pairs(lora, rank: rank)
        #expect(pairs.values.allSatisfy { $0.a.shape[0] == rank })
        let served = AdaptedNetwork(base: network, adapter: try LinearAdapter(pairs: pairs, scale: lora.scale,
                                                                               base: network.weights))
        let merged = try ModelRegistry.build(config: network.config,
                                             weights: mergedWeights(network.weights, pairs: pairs, scale: lora.scale))
        let tokens: [Int32] = [1, 17, 5, 42, 9, 23, 3, 11]
        let whole = try served.forward(tokens: tokens, B: 1, T: tokens.count, cache: nil, lastOnly: false)
        let reference = try merged.forward(tokens: tokens, B: 1, T: tokens.count, cache: nil, lastOnly: false)
        #expect(maxAbsDiff(whole, reference) < 1e-5)
        #expect(maxAbsDiff(whole, try network.forward(tokens: tokens, B: 1, T: tokens.count, cache: nil, lastOnly: false)) > 1e-3)

        // prefill 5 tokens (GEMM path), then decode one at a time (GEMV path) through the KV cache
        let cache = served.makeCache(capacity: 16), mergedCache = merged.makeCache(capacity: 16)
        var steps = [(try served.forward(tokens: Array(tokens.prefix(5)), B: 1, T: 5, cache: cache, lastOnly: true),
                      try merged.forward(tokens: Array(tokens.prefix(5)), B: 1, T: 5, cache: mergedCache, lastOnly: true))]
        for t in 5..<tokens.count {
            steps.append((try served.forward(tokens: [tokens[t]], B: 1, T: 1, cache: cache, lastOnly: true),
                          try merged.forward(tokens: [tokens[t]], B: 1, T: 1, cache: mergedCache, lastOnly: true)))
        }
        for (x, y) in steps { #expect(maxAbsDiff(x, y) < 1e-5) }
    }

    @Test("an adapter that does not fit the base is refused with a reason")
    func refusesMisfits() throws {
        let network = try ModelLoader.loadModel(directory: tinyDirectory("llama"))
        let a = Tensor(shape: [2, 64]), b = Tensor(shape: [64, 2])
        #expect(throws: LinearAdapterError.unknownWeight("model.layers.9.self_attn.q_proj.weight")) {
            _ = try LinearAdapter(pairs: ["model.layers.9.self_attn.q_proj.weight": (a, b)], scale: 1, base: network.weights)
        }
        #expect(throws: LinearAdapterError.self) {
            _ = try LinearAdapter(pairs: ["model.layers.0.mlp.down_proj.weight": (a, b)], scale: 1, base: network.weights)
        }
        #expect(throws: LinearAdapterError.notALinearLayer("model.embed_tokens.weight")) {
            _ = try LinearAdapter(pairs: ["model.embed_tokens.weight": (a, b)], scale: 1, base: network.weights)
        }
    }
}

@Suite("Many adapters on one base")
struct SharedBaseTests {
    @Test("two adapters served concurrently each give their own greedy output; the base's weights are shared, not copied")
    func twoAdaptersOneBase() async throws {
        let root = try modelsDirectory(["a": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let first = root.appendingPathComponent("../adapter-1-" + UUID().uuidString).standardized
        let second = root.appendingPathComponent("../adapter-2-" + UUID().uuidString).standardized
        defer { for dir in [first, second] { try? FileManager.default.removeItem(at: dir) } }
        try writeAdapter(to: first, scaleB: 4)
        try writeAdapter(to: second, scaleB: -6)
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        try await host.registerAdapter(name: "ft-1", base: "a", directory: first)
        try await host.registerAdapter(name: "ft-2", base: "a", directory: second)
        let base = try await host.model(named: "a")
        let one = try await host.model(named: "ft-1"), two = try await host.model(named: "ft-2")

        // One copy of the base: both adapted networks run the base's network object and its weight storages.
        for tuned in [one, two] {
            let network = try #require(tuned.model.network as? AdaptedNetwork)
            #expect(network.base === base.model.network)
            for (name, tensor) in base.model.network.weights.tensors {
                #expect(tuned.model.network.weights.tensors[name]?.storage === tensor.storage)
            }
        }
        // An adapter costs only its A/B tensors: q_proj (2×64 + 64×2) and v_proj (2×64 + 32×2) floats.
        let floats: Int = 2 * 64 + 64 * 2 + 2 * 64 + 32 * 2
        let adapterBytes = Int64(floats * 4)
        #expect(one.bytes == adapterBytes && two.bytes == adapterBytes)
        #expect(await host.loadedBytes == base.bytes + 2 * adapterBytes)

        let prompt = GenerationRequest(promptIds: [1, 2, 3, 4], maxTokens: 24, sampling: .greedy)
        let alone = try await [base, one, two].asyncMap { try await run(host, $0, prompt).1?.tokenIds }
        #expect(Set(alone.map { $0 ?? [] }).count == 3)
        // the same three at once, interleaved on the compute thread, twice: each its own and deterministic
        for _ in 0..<2 {
            async let x = run(host, base, prompt)
            async let y = run(host, one, prompt)
            async let z = run(host, two, prompt)
            let together = try await [x.1?.tokenIds, y.1?.tokenIds, z.1?.tokenIds]
            #expect(together == alone)
        }
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
