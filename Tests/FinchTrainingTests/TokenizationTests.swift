import FinchTraining
import Foundation
import Testing

@Suite("Examples become tokens with loss weights")
struct TokenizationTests {
    func tokenizer(maxLength: Int = 4096) throws -> ExampleTokenizer {
        try ExampleTokenizer(modelDirectory: Fixtures.model("llama"), maxLength: maxLength, promptLossWeight: 0.01)
    }

    func example(_ line: String) throws -> TrainingExample {
        try TrainingData.parse(Data(line.utf8), role: .validation)[0]
    }

    /// The text of the tokens with weight w.
    func text(_ t: TokenizedExample, _ tok: ExampleTokenizer, weight: Float) -> String {
        tok.tokenizer.decode(zip(t.tokens, t.weights).filter { $0.1 == weight }.map { Int($0.0) })
    }

    @Test("chat: only assistant turns with weight 1 are trained, end-of-turn included")
    func chatWeights() throws {
        let tok = try tokenizer()
        let t = try tok.tokenize(try example(#"{"messages": [{"role": "system", "content": "Marv"}, {"role": "user", "content": "Peru?"}, {"role": "assistant", "content": "Lima", "weight": 0}, {"role": "user", "content": "Sarcastically?"}, {"role": "assistant", "content": "Lima, duh."}]}"#))
        #expect(text(t, tok, weight: 1) == "Lima, duh.<|im_end|>\n")
        let all = tok.tokenizer.decode(t.tokens.map { Int($0) })
        #expect(all == "<|im_start|>system\nMarv<|im_end|>\n<|im_start|>user\nPeru?<|im_end|>\n<|im_start|>assistant\nLima<|im_end|>\n<|im_start|>user\nSarcastically?<|im_end|>\n<|im_start|>assistant\nLima, duh.<|im_end|>\n")
        #expect(t.weights.allSatisfy { $0 == 0 || $0 == 1 })
    }

    @Test("prompt/completion: prompt tokens weigh prompt_loss_weight, the completion and EOS weigh 1")
    func completion() throws {
        let tok = try tokenizer()
        let t = try tok.tokenize(.completion(prompt: "The quick brown", completion: " fox jumps"))
        #expect(text(t, tok, weight: 0.01) == "The quick brown")
        #expect(text(t, tok, weight: 1) == " fox jumps<|im_end|>")
    }

    @Test("long examples are cut from the end and the cut is reported")
    func truncation() throws {
        let tok = try tokenizer(maxLength: 8)
        let t = try tok.tokenize(.completion(prompt: "The quick brown fox jumps over the lazy dog.", completion: " Again and again."))
        #expect(t.tokens.count == 8)
        #expect(t.truncatedTokens > 0)
    }

    @Test("packing keeps sequences apart and asks for logits only where loss weight is non-zero")
    func packing() {
        var mb = MicroBatch()
        mb.append(tokens: [5, 6, 7], lossWeights: [0, 0, 1])
        mb.append(tokens: [8, 9], lossWeights: [0, 0.01])
        #expect(mb.cuSeqlens == [0, 3, 5])
        #expect(mb.positions == [0, 1, 2, 0, 1])
        #expect(mb.lossRows == [1, 3])
        #expect(mb.targets == [7, 9])
        #expect(mb.weights == [1, 0.01])
    }
}
