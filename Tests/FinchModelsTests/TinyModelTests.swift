import FinchModels
import FinchTensor
import Foundation
import Testing

/// Fixture directory of the tiny random models made by scripts/make_tiny_models.py.
func tinyModelDirectory(_ arch: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/tiny/\(arch)")
}

struct TinyReference: Decodable {
    struct Generate: Decodable {
        let prompt_ids: [Int32]
        let output_ids: [Int32]
    }
    let B: Int
    let T: Int
    let V: Int
    let input_ids: [Int32]
    let logits: [Float]
    let generate: Generate

    static func load(_ arch: String) throws -> TinyReference {
        let data = try Data(contentsOf: tinyModelDirectory(arch).appendingPathComponent("reference.json"))
        return try JSONDecoder().decode(TinyReference.self, from: data)
    }
}

@Suite("Tiny random models match transformers")
struct TinyModelTests {
    @Test("full-sequence logits equal PyTorch's within 1e-4", arguments: ["llama", "qwen2", "qwen3", "gpt2"])
    func logitsMatch(arch: String) throws {
        let ref = try TinyReference.load(arch)
        let model = try ModelLoader.loadModel(directory: tinyModelDirectory(arch))
        let logits = try model.forward(tokens: ref.input_ids, B: ref.B, T: ref.T, cache: nil, lastOnly: false)
        #expect(logits.shape == [ref.B, ref.T, ref.V])
        let diff = logits.maxAbsDiff(Tensor(shape: [ref.B, ref.T, ref.V], values: ref.logits))
        print("\(arch): max |logits - torch| = \(diff)")
        #expect(diff <= 1e-4)
    }

    @Test("token-by-token decoding with the KV cache gives the same logits", arguments: ["llama", "qwen3", "gpt2"])
    func cacheMatchesFullForward(arch: String) throws {
        let ref = try TinyReference.load(arch)
        let model = try ModelLoader.loadModel(directory: tinyModelDirectory(arch))
        let tokens = Array(ref.input_ids.prefix(ref.T))
        let cache = model.makeCache(capacity: 64)
        // prefill 4 tokens, then one at a time
        var rows: [Float] = try model.forward(tokens: Array(tokens.prefix(4)), B: 1, T: 4, cache: cache, lastOnly: false).toArray()
        for t in 4..<ref.T {
            rows += try model.forward(tokens: [tokens[t]], B: 1, T: 1, cache: cache, lastOnly: true).toArray()
        }
        let expected = Array(ref.logits.prefix(ref.T * ref.V))
        let diff = zip(rows, expected).map { abs($0 - $1) }.max() ?? .infinity
        #expect(rows.count == expected.count)
        #expect(diff <= 1e-4)
    }

    @Test("an out-of-vocabulary token id is an error, not a trap")
    func badTokenThrows() throws {
        let model = try ModelLoader.loadModel(directory: tinyModelDirectory("qwen2"))
        #expect(throws: ModelError.self) {
            _ = try model.forward(tokens: [1, 100_000], B: 1, T: 2, cache: nil, lastOnly: true)
        }
    }
}
