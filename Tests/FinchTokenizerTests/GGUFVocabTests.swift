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

/// Swift compares strings by canonical equivalence; vocabularies must not. Llama 2 has six pairs of
/// canonically equivalent but distinct tokens (Greek with tonos U+03AC... and with oxia U+1F71...).
@Suite("Vocabularies keep canonically equivalent tokens apart")
struct CanonicalEquivalenceTests {
    @Test("both forms of ί keep their own ids and encode differently", .enabled(if: TestData.vocabAvailable, TestData.skipMessage))
    func distinctTokens() throws {
        let imported = try GGUFTokenizerImport(try GGUFFile(url: TestData.vocab("llama-spm")))
        let tokenizer = try imported.makeTokenizer()
        #expect(imported.tokenizerJSON["model"]?["vocab"]?.objectValue?.count == 32000)
        #expect(tokenizer.tokenID(for: "\u{3AF}") == 30207)
        #expect(tokenizer.tokenID(for: "\u{1F77}") == 30873)
        #expect(tokenizer.token(for: 30873)?.unicodeScalars.map(\.value) == [0x1F77])
        #expect(tokenizer.encode("\u{3AF}", addSpecialTokens: false) == [29871, 30207])
        #expect(tokenizer.encode("\u{1F77}", addSpecialTokens: false) == [29871, 30873])
        // Reference ids from HF tokenizers on the exported tokenizer.json.
        #expect(tokenizer.encode("\u{3AC} \u{1F71} e\u{301} caf\u{E9}", addSpecialTokens: false)
            == [29871, 30216, 29871, 31042, 321, 30103, 274, 28059])
        // A combining mark after a space: the space is still replaced by ▁ (code-point semantics).
        #expect(tokenizer.encode("a \u{301}b", addSpecialTokens: false) == [263, 29871, 30103, 29890])
    }
}
