import FinchTokenizer
import Foundation
import Testing

/// tokenizer.json files serialized by HF `tokenizers` itself for every pipeline we support (merges in
/// the list format, TemplateProcessing, Sequence processors, ignore_merges, NFC, Metaspace, byte
/// fallback), with the ids HF produces (scripts/gen_hf_tokenizer_fixtures.py).
@Suite("tokenizer.json files written by HF tokenizers")
struct HFTokenizerJSONTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var tokenizer: String
        var text: String
        var ids: [Int]
        var idsWithSpecial: [Int]
        var decoded: String
        var decodedSkipSpecial: String
        var testDescription: String { "\(tokenizer): \(text.debugDescription)" }
    }

    static let cases: [Case] = {
        guard let data = try? TestData.fixture("hf_tokenizer_cases.json"), let root = try? TemplateValue(parsingJSON: data)
        else { return [] }
        return (root["cases"]?.arrayValue ?? []).map { c in
            Case(
                tokenizer: c["tokenizer"]?.stringValue ?? "", text: c["text"]?.stringValue ?? "",
                ids: (c["ids"]?.arrayValue ?? []).compactMap(\.intValue),
                idsWithSpecial: (c["ids_with_special"]?.arrayValue ?? []).compactMap(\.intValue),
                decoded: c["decoded"]?.stringValue ?? "", decodedSkipSpecial: c["decoded_skip_special"]?.stringValue ?? "")
        }
    }()

    @Test("the fixture covers six pipelines")
    func fixtureLoaded() {
        #expect(Set(Self.cases.map(\.tokenizer)).count == 6)
    }

    @Test("encodes and decodes like HF", arguments: cases)
    func matchesHF(_ c: Case) throws {
        let url = TestData.fixtures.appendingPathComponent("hf_tokenizers/\(c.tokenizer).json")
        let tokenizer = try Tokenizer(contentsOf: url)
        #expect(tokenizer.encode(c.text, addSpecialTokens: false) == c.ids)
        #expect(tokenizer.encode(c.text) == c.idsWithSpecial)
        #expect(tokenizer.decode(c.ids) == c.decoded)
        #expect(tokenizer.decode(c.idsWithSpecial, skipSpecialTokens: true) == c.decodedSkipSpecial)
    }

    @Test("concurrent encodes share the word cache safely and agree")
    func concurrentEncodes() async throws {
        let tokenizer = try Tokenizer(contentsOf: TestData.fixtures.appendingPathComponent("hf_tokenizers/llama3.json"))
        let texts = Self.cases.filter { $0.tokenizer == "llama3" }.map(\.text)
        let expected = texts.map { tokenizer.encode($0) }
        try await withThrowingTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<8 { group.addTask { texts.map { tokenizer.encode($0) } } }
            for try await result in group { #expect(result == expected) }
        }
    }
}
