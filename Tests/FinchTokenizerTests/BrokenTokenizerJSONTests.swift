import FinchTokenizer
import Foundation
import Testing

/// A broken or unsupported tokenizer.json throws a `TokenizerError` naming the problem; it never traps.
@Suite("Broken tokenizer.json inputs throw clear errors")
struct BrokenTokenizerJSONTests {
    /// A tiny valid byte-level BPE tokenizer.json (vocab: the 256 byte symbols + "ab").
    static func document(
        model: String? = nil, preTokenizer: String = #"{"type": "ByteLevel", "add_prefix_space": false}"#,
        addedTokens: String = #"[{"id": 257, "content": "<|end|>", "special": true}]"#
    ) -> String {
        let symbols = ByteLevelAlphabet.byteToScalar.enumerated().map { "\(TemplateValue.string(String($1)).jsonString()): \($0)" }
        let vocab = "{" + symbols.joined(separator: ", ") + #", "ab": 256}"#
        let modelText = model ?? #"{"type": "BPE", "vocab": \#(vocab), "merges": ["a b"]}"#
        return #"{"added_tokens": \#(addedTokens), "pre_tokenizer": \#(preTokenizer), "model": \#(modelText), "decoder": {"type": "ByteLevel"}}"#
    }

    static func load(_ text: String) throws -> Tokenizer { try Tokenizer(tokenizerJSON: Data(text.utf8)) }

    @Test("the valid baseline loads and merges")
    func baseline() throws {
        let tok = try Self.load(Self.document())
        #expect(tok.encode("ab<|end|>", addSpecialTokens: false) == [256, 257])
        #expect(tok.decode([256, 257], skipSpecialTokens: true) == "ab")
    }

    @Test("added tokens: lstrip/rstrip swallow neighbouring whitespace; parseSpecialTokens: false keeps them text")
    func addedTokenOptions() throws {
        let plain = try Self.load(Self.document())
        #expect(plain.encode("ab <|end|> ab", addSpecialTokens: false) == [256, 32, 257, 32, 256])
        let stripping = try Self.load(Self.document(
            addedTokens: #"[{"id": 257, "content": "<|end|>", "special": true, "lstrip": true, "rstrip": true}]"#))
        #expect(stripping.encode("ab \t<|end|>\n ab", addSpecialTokens: false) == [256, 257, 256])
        let asText = plain.encode("<|end|>", addSpecialTokens: false, parseSpecialTokens: false)
        #expect(!asText.contains(257))
        #expect(plain.decode(asText) == "<|end|>")
    }

    @Test("invalid JSON is reported as such")
    func invalidJSON() {
        #expect(throws: TokenizerError.self) { try Self.load("{\"model\": ") }
        do {
            _ = try Self.load("[1, 2,]")
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            guard case .invalidJSON = error else { Issue.record("wrong error \(error)"); return }
            #expect(error.description.contains("not valid JSON"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("structural problems name the JSON path", arguments: [
        (#"{"added_tokens": []}"#, "model"),
        (document(model: #"{"type": "WordPiece", "vocab": {}}"#), "model.type"),
        (document(model: #"{"type": "BPE", "vocab": [1, 2]}"#), "model.vocab"),
        (document(model: #"{"type": "BPE", "vocab": {"a": "zero"}}"#), "model.vocab[a]"),
        (document(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}"#), "model.merges[0]"),
        (document(model: #"{"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}"#), "model.merges[0]"),
        (document(model: #"{"type": "BPE", "vocab": {"a": 0}, "merges": ["ab"]}"#), "model.merges[0]"),
        (document(model: #"{"type": "BPE", "vocab": {"a": 0}, "unk_token": "<unk>"}"#), "model.unk_token"),
        (document(preTokenizer: #"{"type": "Split", "pattern": {"Regex": "\\w+"}, "behavior": "Isolated"}"#), "pre_tokenizer.pattern.Regex"),
        (document(preTokenizer: #"{"type": "Whitespace"}"#), "pre_tokenizer"),
        (document(preTokenizer: #"{"type": "Sequence"}"#), "pre_tokenizer.pretokenizers"),
        (document(addedTokens: #"[{"content": "<x>"}]"#), "added_tokens[0]"),
        (document(addedTokens: #"{"id": 1}"#), "added_tokens"),
        ("[]", "$"),
    ])
    func namesThePath(text: String, path: String) {
        do {
            _ = try Self.load(text)
            Issue.record("expected an error for \(path)")
        } catch let error as TokenizerError {
            switch error {
            case .invalidField(let p, _), .unsupported(let p, _): #expect(p == path, "\(error)")
            default: Issue.record("unexpected \(error)")
            }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("truncated documents never trap")
    func truncations() {
        let text = Array(Self.document().utf8)
        for length in stride(from: 0, to: text.count, by: 97) {
            #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: Data(text[..<length])) }
        }
    }

    @Test("a missing file is a cannotRead error")
    func missingFile() {
        #expect(throws: TokenizerError.self) {
            try Tokenizer(contentsOf: URL(fileURLWithPath: "/nonexistent/tokenizer.json"))
        }
    }

    @Test("decoding ids outside the vocabulary yields nothing instead of trapping")
    func outOfRangeIDs() throws {
        let tok = try Self.load(Self.document())
        #expect(tok.decode([-5, 1_000_000, 256]) == "ab")
        #expect(tok.token(for: -1) == nil)
    }
}
