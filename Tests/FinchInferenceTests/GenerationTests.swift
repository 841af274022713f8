import FinchInference
import FinchModels
import Foundation
import Testing

/// The tiny random models of Tests/FinchModelsTests/Fixtures (scripts/make_tiny_models.py).
func tinyDirectory(_ arch: String) -> URL {
    repoRoot.appendingPathComponent("Tests/FinchModelsTests/Fixtures/tiny/\(arch)")
}

struct TinyGenerateReference: Decodable {
    struct Generate: Decodable {
        let prompt_ids: [Int]
        let output_ids: [Int]
    }
    let generate: Generate
}

@Suite("Generation")
struct GenerationTests {
    @Test("greedy decoding with the KV cache equals transformers generate", arguments: ["llama", "qwen2", "qwen3", "gpt2"])
    func greedyTiny(arch: String) throws {
        let data = try Data(contentsOf: tinyDirectory(arch).appendingPathComponent("reference.json"))
        let ref = try JSONDecoder().decode(TinyGenerateReference.self, from: data).generate
        let network = try ModelLoader.loadModel(directory: tinyDirectory(arch))
        let r = try generateTokens(network: network, prompt: ref.prompt_ids, maxTokens: ref.output_ids.count,
                                   sampling: .greedy, eosTokenIds: []) { _ in true }
        #expect(r.tokens == ref.output_ids)
        #expect(r.finish == .length)
    }

    @Test("the same seed gives the same sample; different seeds differ somewhere")
    func seeded() throws {
        let model = try LoadedModel.load(directory: tinyDirectory("qwen3"))
        let gen = TextGenerator(model: model)
        func run(_ seed: UInt64) throws -> [Int] {
            try gen.generate(promptIds: [5, 6, 7], options: GenerationOptions(
                maxTokens: 16, sampling: SamplingParameters(temperature: 1.5, topP: 0.95, seed: seed))).tokenIds
        }
        #expect(try run(42) == run(42))
        #expect(try run(1) != run(2))
    }

    @Test("max tokens ends with finish reason length; EOS ends with stop and is not emitted")
    func lengthAndEOS() throws {
        let model = try LoadedModel.load(directory: tinyDirectory("llama"))
        let gen = TextGenerator(model: model)
        let r = try gen.generate(promptIds: [1, 2, 3], options: GenerationOptions(maxTokens: 5, sampling: .greedy))
        #expect(r.tokenIds.count == 5 && r.finishReason == .length)
        // make the first greedy token an EOS id
        let first = r.tokenIds[0]
        let r2 = try generateTokens(network: model.network, prompt: [1, 2, 3], maxTokens: 5, sampling: .greedy,
                                    eosTokenIds: [first]) { _ in true }
        #expect(r2.tokens.isEmpty && r2.finish == .stop)
        #expect(throws: InferenceError.emptyPrompt) {
            _ = try gen.generate(promptIds: [], options: GenerationOptions(maxTokens: 5))
        }
        #expect(throws: InferenceError.self) {
            _ = try gen.generate(promptIds: [1], options: GenerationOptions(sampling: SamplingParameters(topP: 0)))
        }
    }

    @Test("a stop string cuts the text even when split across tokens")
    func stopStrings() throws {
        let model = try LoadedModel.load(directory: tinyDirectory("gpt2"))
        let gen = TextGenerator(model: model)
        let full = try gen.generate(promptIds: [10, 20, 30], options: GenerationOptions(maxTokens: 24, sampling: .greedy))
        #expect(full.text.count > 6)
        // a stop string from the middle of the greedy text
        let start = full.text.index(full.text.startIndex, offsetBy: full.text.count / 2)
        let stop = String(full.text[start...].prefix(3))
        var streamed = ""
        let cut = try gen.generate(promptIds: [10, 20, 30], options: GenerationOptions(maxTokens: 24, sampling: .greedy, stop: [stop])) {
            streamed += $0.text
        }
        #expect(cut.finishReason == .stop)
        #expect(cut.text == String(full.text[..<full.text.range(of: stop)!.lowerBound]))
        #expect(streamed == cut.text)
    }

    @Test("streaming through AsyncSequence yields the same text as the synchronous call")
    func asyncStream() async throws {
        let model = try LoadedModel.load(directory: tinyDirectory("qwen2"))
        let gen = TextGenerator(model: model)
        let options = GenerationOptions(maxTokens: 12, sampling: .greedy)
        let sync = try gen.generate(promptIds: [3, 4, 5], options: options)
        var text = ""
        var ids: [Int] = []
        var finished: GenerationResult?
        for try await event in gen.stream(promptIds: [3, 4, 5], options: options) {
            switch event {
            case .chunk(let c):
                text += c.text
                if c.tokenId >= 0 { ids.append(c.tokenId) }
            case .finished(let r): finished = r
            }
        }
        #expect(text == sync.text && ids == sync.tokenIds)
        #expect(finished?.tokenIds == sync.tokenIds)
    }
}

@Suite("Sampling and stop sequences")
struct SamplingTests {
    @Test("temperature 0 is argmax; a tiny top_p keeps only the most likely token")
    func greedyAndTopP() {
        let logits: [Float] = [0.1, 2.5, -1, 2.4, 0]
        logits.withUnsafeBufferPointer { l in
            var greedy = Sampler(.greedy)
            #expect(greedy.sample(l) == 1)
            var nucleus = Sampler(SamplingParameters(temperature: 1, topP: 0.01, seed: 7))
            for _ in 0..<20 { #expect(nucleus.sample(l) == 1) }
            var hot = Sampler(SamplingParameters(temperature: 5, topP: 1, seed: 7))
            let seen = Set((0..<200).map { _ in hot.sample(l) })
            #expect(seen.count == 5)
        }
    }

    @Test("stop strings are found across chunk boundaries and possible prefixes are held back")
    func matcher() {
        var m = StopSequenceMatcher(["</s>", "\n\nUser:"])
        #expect(m.push("Hello <") == .text("Hello "))
        #expect(m.push("/") == .text(""))
        #expect(m.push("x") == .text("</x"))
        #expect(m.push(" ok\n") == .text(" ok"))
        #expect(m.push("\nUs") == .text(""))
        #expect(m.push("er: hi") == .stop(""))
        var plain = StopSequenceMatcher([])
        #expect(plain.push("abc") == .text("abc"))
        var tail = StopSequenceMatcher(["END"])
        #expect(tail.push("the E") == .text("the "))
        #expect(tail.finish() == "E")
    }
}
