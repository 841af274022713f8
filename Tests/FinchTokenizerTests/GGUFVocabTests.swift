import FinchModels
import FinchTokenizer
import Foundation
import Testing

/// The tokenizer test cases llama.cpp ships with its vocab-only GGUFs (`.inp`: texts separated by
/// `__ggml_vocab_test__` lines; `.out`: one line of expected ids per text, produced by HF tokenizers).
@Suite("Tokenizers built from llama.cpp vocab GGUFs")
struct GGUFVocabTests {
    struct Case {
        var text: String
        var expected: [Int]
    }

    static func cases(_ name: String) throws -> [Case] {
        let base = TestData.vocab(name)
        let inp = try String(contentsOf: URL(fileURLWithPath: base.path + ".inp"), encoding: .utf8)
        let out = try String(contentsOf: URL(fileURLWithPath: base.path + ".out"), encoding: .utf8)
        var texts = inp.components(separatedBy: "\n__ggml_vocab_test__\n")
        if texts.last?.isEmpty == true { texts.removeLast() }
        let lines = out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.count >= texts.count)
        return texts.enumerated().map { i, text in
            Case(text: text, expected: lines[i].split(separator: " ").compactMap { Int($0) })
        }
    }

    static func tokenizer(_ name: String) throws -> Tokenizer {
        let gguf = try GGUFFile(url: TestData.vocab(name))
        return try GGUFTokenizerImport(gguf).makeTokenizer()
    }

    @Test("every llama.cpp test case encodes to the reference ids", .enabled(if: TestData.vocabAvailable, TestData.skipMessage),
          arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm"])
    func encodesReferenceCases(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        let cases = try Self.cases(name)
        #expect(cases.count > 20)
        for c in cases {
            let ids = tokenizer.encode(c.text, addSpecialTokens: false)
            #expect(ids == c.expected, "\(name): \(c.text.debugDescription)")
        }
    }

    @Test("decoding the encoded test cases gives the text back", .enabled(if: TestData.vocabAvailable, TestData.skipMessage),
          arguments: ["gpt-2", "llama-bpe", "qwen2", "llama-spm"])
    func roundTrips(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        for c in try Self.cases(name) {
            let expected = name == "qwen2" ? c.text.precomposedStringWithCanonicalMapping : c.text
            #expect(tokenizer.decode(tokenizer.encode(c.text, addSpecialTokens: false)) == expected, "\(name): \(c.text.debugDescription)")
        }
    }

    @Test("streaming decode yields the same text and never a broken character", .enabled(if: TestData.vocabAvailable, TestData.skipMessage),
          arguments: ["gpt-2", "llama-spm"])
    func streams(name: String) throws {
        let tokenizer = try Self.tokenizer(name)
        for c in try Self.cases(name) {
            let ids = tokenizer.encode(c.text, addSpecialTokens: false)
            var stream = tokenizer.makeStreamingDecoder()
            var text = ""
            for id in ids {
                let piece = stream.push(id)
                #expect(!piece.contains("\u{FFFD}"))
                text += piece
            }
            text += stream.finish()
            #expect(text == tokenizer.decode(ids))
        }
    }
}
