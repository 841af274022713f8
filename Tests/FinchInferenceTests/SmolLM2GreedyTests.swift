import FinchInference
import FinchModels
import Foundation
import Testing

/// The repository root, from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

struct SmolLM2Reference: Decodable {
    struct Case: Decodable {
        let prompt: String
        let text: String
        let prompt_ids: [Int]
        let output_ids: [Int]
        let output_text: String
    }
    let max_new_tokens: Int
    let eos_token_id: Int
    let cases: [Case]
}

/// SmolLM2-135M-Instruct, imported once per test process from the GGUF fetched by scripts/fetch-testdata.sh.
enum SmolLM2 {
    static let gguf: URL = {
        let base = ProcessInfo.processInfo.environment["FINCH_TESTDATA"].map { URL(fileURLWithPath: $0) }
            ?? repoRoot.appendingPathComponent(".testdata")
        return base.appendingPathComponent("smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
    }()

    static var available: Bool { FileManager.default.fileExists(atPath: gguf.path) }

    /// Missing data skips the test locally but fails it under CI.
    static var shouldRun: Bool { available || ProcessInfo.processInfo.environment["CI"] != nil }

    static let imported: Result<LoadedModel, Error> = Result {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("finch-smollm2-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try ModelImporter.importGGUF(gguf, to: dir)
        defer { try? FileManager.default.removeItem(at: dir) }
        return try LoadedModel.load(directory: dir)
    }

    static func reference() throws -> SmolLM2Reference {
        let url = repoRoot.appendingPathComponent("Tests/FinchInferenceTests/Fixtures/smollm2_greedy.json")
        return try JSONDecoder().decode(SmolLM2Reference.self, from: Data(contentsOf: url))
    }
}

@Suite("SmolLM2-135M-Instruct from GGUF matches transformers", .serialized)
struct SmolLM2GreedyTests {
    @Test("greedy generation equals transformers' token for token", .enabled(if: SmolLM2.shouldRun))
    func greedyMatches() throws {
        #expect(SmolLM2.available, "test data missing: run scripts/fetch-testdata.sh")
        let model = try SmolLM2.imported.get()
        let ref = try SmolLM2.reference()
        let generator = TextGenerator(model: model)
        for c in ref.cases {
            let rendered = try ChatPrompt.render(model: model, messages: [.init(role: "user", content: c.prompt)])
            #expect(rendered == c.text, "chat template render differs for \(c.prompt)")
            let ids = model.tokenizer.encode(c.text, addSpecialTokens: false)
            #expect(ids == c.prompt_ids, "prompt tokenization differs for \(c.prompt)")
            let result = try generator.generate(
                promptIds: c.prompt_ids, options: GenerationOptions(maxTokens: ref.max_new_tokens, sampling: .greedy))
            var expected = c.output_ids
            if expected.last == ref.eos_token_id { expected.removeLast() }
            #expect(result.tokenIds == expected, "\(c.prompt)")
            #expect(result.text == c.output_text, "\(c.prompt)")
        }
    }

    @Test("the imported directory has HF files and a tied llama config", .enabled(if: SmolLM2.shouldRun))
    func importedConfig() throws {
        let model = try SmolLM2.imported.get()
        let c = model.config
        #expect(c.modelType == "llama")
        #expect(c.hiddenSize == 576 && c.numLayers == 30 && c.numHeads == 9 && c.numKVHeads == 3 && c.headDim == 64)
        #expect(c.tieWordEmbeddings)
        #expect(c.ropeTheta == 100000)
        #expect(model.chatTemplate?.contains("<|im_start|>") == true)
        #expect(model.eosTokenIds.contains(2))
    }
}
