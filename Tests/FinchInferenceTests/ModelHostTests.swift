import FinchInference
import FinchModels
import FinchTensor
import Foundation
import Testing

/// A fresh DATA/models with copies of the tiny fixtures under the given names. `window` widens their
/// context (4096 keeps a tiny generation busy long enough to observe it even in release builds).
func modelsDirectory(_ models: [String: String], window: Int? = nil) throws -> URL {
    let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("finch-host-" + UUID().uuidString)
    try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    for (name, arch) in models {
        let dir = root.appendingPathComponent(name)
        try FileManager.default.copyItem(at: tinyDirectory(arch), to: dir)
        if let window {
            let config = dir.appendingPathComponent("config.json")
            let text = try String(contentsOf: config, encoding: .utf8)
                .replacingOccurrences(of: "\"max_position_embeddings\": 256", with: "\"max_position_embeddings\": \(window)")
            try text.write(to: config, atomically: true, encoding: .utf8)
        }
    }
    return root
}

/// A generation long enough to still be running while a test does something else.
let busyRequest = GenerationRequest(promptIds: [1, 2, 3], maxTokens: 4000, sampling: .greedy)

/// Runs a generation to its end and returns the text and summary.
func run(_ host: ModelHost, _ hosted: HostedModel, _ request: GenerationRequest) async throws -> (String, GenerationSummary?) {
    var text = ""
    var summary: GenerationSummary?
    for try await update in host.generate(hosted, request) {
        switch update {
        case .delta(let t, _): text += t
        case .finished(let s, _): summary = s
        }
    }
    return (text, summary)
}

@Suite("Model host")
struct ModelHostTests {
    @Test("a base model loads once and is shared; unknown and path-like names are not found")
    func loadOnce() async throws {
        let root = try modelsDirectory(["a": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        async let first = host.model(named: "a")
        async let second = host.model(named: "a")
        let (x, y) = try await (first, second)
        #expect(x === y)
        #expect(try await host.model(named: "a") === x)
        for name in ["nope", "../a", ".", "a/b", ""] {
            await #expect(throws: ModelHostError.modelNotFound(name)) { _ = try await host.model(named: name) }
        }
        #expect(await host.availableNames() == ["a"])
    }

    @Test("aliases resolve from the configuration and from the aliases file, which is re-read")
    func aliases() async throws {
        let root = try modelsDirectory(["base": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("aliases.json")
        let host = ModelHost(configuration: .init(modelsDirectory: root, aliases: ["curie": "base"], aliasesFile: file))
        #expect(try await host.model(named: "curie").name == "base")
        await #expect(throws: ModelHostError.self) { _ = try await host.model(named: "gpt-4o-mini") }
        try Data(#"{"gpt-4o-mini": "curie"}"#.utf8).write(to: file)
        #expect(try await host.model(named: "gpt-4o-mini").name == "base")
    }

    @Test("past the memory budget the least recently used idle model is unloaded, a busy one is kept")
    func lruBudget() async throws {
        let root = try modelsDirectory(["a": "llama", "b": "llama", "c": "llama"], window: 4096)
        defer { try? FileManager.default.removeItem(at: root) }
        let probe = ModelHost(configuration: .init(modelsDirectory: root))
        let size = try await probe.model(named: "a").bytes
        #expect(size > 0)
        let host = ModelHost(configuration: .init(modelsDirectory: root, memoryBudgetBytes: size * 2))
        _ = try await host.model(named: "a")
        _ = try await host.model(named: "b")
        #expect(Set(await host.loadedModels().map(\.name)) == ["a", "b"])
        _ = try await host.model(named: "a")  // b is now the least recently used
        _ = try await host.model(named: "c")
        #expect(Set(await host.loadedModels().map(\.name)) == ["a", "c"])

        // A model in use is not unloaded even when it is the least recently used.
        let busy = try await host.model(named: "a")
        let stream = host.generate(busy, busyRequest)
        var iterator = stream.makeAsyncIterator()
        _ = try await iterator.next()
        _ = try await host.model(named: "c")
        _ = try await host.model(named: "b")
        #expect(await host.loadedModels().map(\.name).contains("a"))
        #expect(await host.loadedBytes <= size * 3)
        _ = iterator  // ending the iteration here cancels the generation
    }

    @Test("ending the iteration early cancels the generation, and the model becomes idle")
    func cancellation() async throws {
        let root = try modelsDirectory(["a": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "a")
        do {
            let stream = host.generate(hosted, GenerationRequest(promptIds: [1, 2, 3], maxTokens: 250, sampling: .greedy))
            for try await _ in stream { break }
        }
        var idle = false
        for _ in 0..<200 where !idle {
            idle = await host.unload("a")
            if !idle { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(idle)
    }

    @Test("generations interleave fairly: a short one started after a long one finishes first")
    func fairness() async throws {
        let root = try modelsDirectory(["a": "llama"], window: 4096)
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "a")
        let order = OrderLog()
        var long = host.generate(hosted, busyRequest).makeAsyncIterator()
        _ = try await long.next()  // the long generation is under way
        _ = try await run(host, hosted, GenerationRequest(promptIds: [4, 5], maxTokens: 3, sampling: .greedy))
        order.append("short")
        while let update = try await long.next() {
            if case .finished = update { order.append("long") }
        }
        #expect(order.entries == ["short", "long"])
    }

    @Test("the served generation equals the engine's generator: greedy tokens, stop strings, finish reasons")
    func matchesGenerator() async throws {
        let root = try modelsDirectory(["q": "qwen2"])
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "q")
        let reference = try TextGenerator(model: hosted.model).generate(
            promptIds: [5, 6, 7], options: GenerationOptions(maxTokens: 30, sampling: .greedy))
        let (text, summary) = try await run(host, hosted, GenerationRequest(promptIds: [5, 6, 7], maxTokens: 30, sampling: .greedy))
        #expect(summary?.tokenIds == reference.tokenIds)
        #expect(text == reference.text)
        #expect(summary?.finishReason == reference.finishReason)
        if reference.text.count > 6 {
            let stop = String(reference.text.dropFirst(3).prefix(3))
            let (cut, s) = try await run(host, hosted, GenerationRequest(promptIds: [5, 6, 7], maxTokens: 30, sampling: .greedy, stop: [stop]))
            #expect(cut == String(reference.text[..<reference.text.range(of: stop)!.lowerBound]))
            #expect(s?.finishReason == .stop)
        }
    }

    @Test("a long reply (the key/value cache grows past its first 256 tokens) equals the generator's")
    func cacheGrowth() async throws {
        let root = try modelsDirectory(["a": "llama"], window: 4096)
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "a")
        let sampling = SamplingParameters.greedy
        let reference = try TextGenerator(model: hosted.model).generate(
            promptIds: [1, 2, 3], options: GenerationOptions(maxTokens: 700, sampling: sampling))
        let served = try await run(host, hosted, GenerationRequest(promptIds: [1, 2, 3], maxTokens: 700, sampling: sampling)).1
        #expect(reference.tokenIds.count > 300)
        #expect(served?.tokenIds == reference.tokenIds)
    }

    @Test("a prompt longer than one prefill chunk (prefilled over several turns) continues like the generator")
    func chunkedPrefill() async throws {
        let root = try modelsDirectory(["q": "qwen2"], window: 4096)
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "q")
        let prompt = (0..<1300).map { 3 + ($0 * 37) % 300 }
        let reference = try TextGenerator(model: hosted.model).generate(
            promptIds: prompt, options: GenerationOptions(maxTokens: 20, sampling: .greedy))
        let served = try await run(host, hosted, GenerationRequest(promptIds: prompt, maxTokens: 20, sampling: .greedy)).1
        #expect(served?.tokenIds == reference.tokenIds)
        #expect(served?.promptTokens == 1300)
    }

    @Test("penalties change what is sampled; logprobs are normalized")
    func penaltiesAndLogprobs() async throws {
        let root = try modelsDirectory(["a": "llama"])
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "a")
        let plain = try await run(host, hosted, GenerationRequest(promptIds: [1, 2, 3], maxTokens: 40, sampling: .greedy)).1
        let penalized = try await run(host, hosted, GenerationRequest(
            promptIds: [1, 2, 3], maxTokens: 40, sampling: .greedy, presencePenalty: 2, frequencyPenalty: 2)).1
        #expect(plain?.tokenIds != penalized?.tokenIds)
        let distinct = Set(penalized?.tokenIds ?? []).count, plainDistinct = Set(plain?.tokenIds ?? []).count
        #expect(distinct >= plainDistinct)

        var entries: [TokenLogprob] = []
        for try await update in host.generate(hosted, GenerationRequest(promptIds: [1, 2, 3], maxTokens: 8, sampling: .greedy, topLogprobs: 320)) {
            switch update {
            case .delta(_, let e), .finished(_, let e): entries += e
            }
        }
        #expect(entries.count == 8)
        for entry in entries {
            let mass = entry.top.reduce(0) { $0 + exp($1.logprob) }
            #expect(abs(mass - 1) < 1e-4)
            #expect(entry.top.first?.tokenId == entry.tokenId)
        }
    }
}

final class OrderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ s: String) { lock.withLock { items.append(s) } }
    var entries: [String] { lock.withLock { items } }
}
