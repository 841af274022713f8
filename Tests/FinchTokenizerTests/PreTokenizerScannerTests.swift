import FinchTokenizer
import Foundation
import Testing

/// The hand-written scanners must split exactly like HF's Oniguruma regexes, on tricky and random
/// strings (Fixtures/pretokenizer_splits.json from scripts/gen_pretokenizer_fixtures.py).
@Suite("Pre-tokenizer scanners behave like the regexes")
struct PreTokenizerScannerTests {
    static let root: TemplateValue? = (try? TestData.fixture("pretokenizer_splits.json")).flatMap { try? TemplateValue(parsingJSON: $0) }

    @Test("every case splits like HF tokenizers", arguments: SplitPattern.allCases)
    func splitsLikeHF(pattern: SplitPattern) throws {
        let root = try #require(Self.root)
        #expect(root["patterns"]?[pattern.rawValue]?.stringValue == pattern.regex)
        let cases = root["cases"]?.arrayValue ?? []
        #expect(cases.count > 400)
        for c in cases {
            let text = c["text"]?.stringValue ?? ""
            let expected = (c[pattern.rawValue]?.arrayValue ?? []).compactMap(\.stringValue)
            #expect(pattern.pieces(of: text) == expected, "\(pattern): \(text.debugDescription)")
        }
    }

    @Test("regex sources are recognized from tokenizer.json text")
    func recognizesRegex() {
        for p in SplitPattern.allCases { #expect(SplitPattern(regex: p.regex) == p) }
        #expect(SplitPattern(regex: "\\w+") == nil)
    }
}
