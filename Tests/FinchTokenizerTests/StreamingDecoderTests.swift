import FinchModels
import FinchTokenizer
import Foundation
import Testing

/// Token-by-token decoding holds back incomplete UTF-8 and matches whole-sequence decoding.
@Suite("Streaming decoder")
struct StreamingDecoderTests {
    @Test("multi-byte characters split across byte tokens are emitted only when complete",
          .enabled(if: TestData.vocabAvailable, TestData.skipMessage))
    func holdsBackIncompleteCharacters() throws {
        let tokenizer = try GGUFTokenizerImport(try GGUFFile(url: TestData.vocab("llama-spm"))).makeTokenizer()
        let text = "héllo 🌍 世界"
        let ids = tokenizer.encode(text, addSpecialTokens: false)
        var stream = tokenizer.makeStreamingDecoder()
        var pieces: [String] = []
        for id in ids { pieces.append(stream.push(id)) }
        pieces.append(stream.finish())
        #expect(pieces.joined() == text)
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
        // 🌍 is made of byte-fallback tokens: the first pushes give nothing, the last the whole emoji.
        #expect(pieces.contains("🌍"))
        #expect(pieces.contains(""))
    }

    @Test("skipping special tokens while streaming", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func skipsSpecialTokens() throws {
        let tokenizer = try GGUFTokenizerImport(try GGUFFile(url: TestData.smolLM2)).makeTokenizer()
        let ids = tokenizer.encode("<|im_start|>assistant\nSalut 👋<|im_end|>", addSpecialTokens: false)
        var stream = tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
        let text = ids.map { stream.push($0) }.joined() + stream.finish()
        #expect(text == "assistant\nSalut 👋")
        #expect(text == tokenizer.decode(ids, skipSpecialTokens: true))
    }

    @Test("a stream that ends mid-character flushes a replacement character", .enabled(if: TestData.vocabAvailable, TestData.skipMessage))
    func flushesIncompleteTail() throws {
        let tokenizer = try GGUFTokenizerImport(try GGUFFile(url: TestData.vocab("gpt-2"))).makeTokenizer()
        let ids = tokenizer.encode("🌍", addSpecialTokens: false)
        #expect(ids.count > 1)
        var stream = tokenizer.makeStreamingDecoder()
        #expect(stream.push(ids[0]) == "")
        #expect(stream.finish() == "\u{FFFD}")
    }
}
