import FinchTokenizer
import Foundation
import Testing

/// The two tokenizer.json forms of SentencePiece-style BPE (Llama 2, TinyLlama): the legacy
/// Prepend+Replace normalizer, and the newer Metaspace pre-tokenizer (prepend_scheme "first").
@Suite("SentencePiece-style tokenizer.json forms")
struct SentencePieceStyleTests {
    static let model = #"""
    "model": {"type": "BPE", "unk_token": "<unk>", "byte_fallback": true, "fuse_unk": true,
      "vocab": {"<unk>": 0, "<s>": 1, "▁": 2, "a": 3, "b": 4, "▁a": 5, "▁b": 6, "<0xC3>": 7, "<0xA9>": 8},
      "merges": ["▁ a", "▁ b"]},
    "added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true}],
    "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
      {"Sequence": {"id": "A", "type_id": 0}}], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}}
    """#

    static let legacy = try! Tokenizer(tokenizerJSON: Data(("{" + model + #"""
    , "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
        {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
      "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "},
        {"type": "ByteFallback"}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}}
    """#).utf8))

    static let metaspace = try! Tokenizer(tokenizerJSON: Data(("{" + model + #"""
    , "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false},
      "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}}
    """#).utf8))

    @Test("legacy: every segment gets a leading ▁, BOS from the post-processor, byte fallback")
    func legacyForm() {
        #expect(Self.legacy.encode("a b") == [1, 5, 6])
        #expect(Self.legacy.encode(" a", addSpecialTokens: false) == [2, 5])
        #expect(Self.legacy.encode("é", addSpecialTokens: false) == [2, 7, 8])
        #expect(Self.legacy.encode("ax", addSpecialTokens: false) == [5, 0])  // unknown character
        #expect(Self.legacy.decode([1, 5, 6]) == "<s> a b")
        #expect(Self.legacy.decode([1, 5, 6], skipSpecialTokens: true) == "a b")
        #expect(Self.legacy.decode([2, 7, 8]) == "é")
    }

    @Test("metaspace: ▁ prepended only at the very start and not doubled")
    func metaspaceForm() {
        #expect(Self.metaspace.encode("a b") == [1, 5, 6])
        #expect(Self.metaspace.encode(" a", addSpecialTokens: false) == [5])
        #expect(Self.metaspace.encode("<s>a", addSpecialTokens: false) == [1, 3])
        #expect(Self.metaspace.decode([5, 6]) == "a b")
    }
}
