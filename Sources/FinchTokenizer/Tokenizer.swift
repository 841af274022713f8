import Foundation

/// A Hugging Face `tokenizers` tokenizer (tokenizer.json) for the model families Finch runs:
/// byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM2) and SentencePiece-style BPE with byte fallback
/// (Llama 2, TinyLlama).
///
/// ```swift
/// let tok = try Tokenizer(contentsOf: dir.appending(path: "tokenizer.json"))
/// let ids = tok.encode("Hello world")              // with the post-processor's BOS, if any
/// let text = tok.decode(ids, skipSpecialTokens: true)
/// ```
/// Immutable and thread-safe; the BPE word cache is internally locked.
public final class Tokenizer: Sendable {
    /// Post-processor template for a single sequence: literal special ids around the text.
    struct PostProcessor: Sendable {
        var prefix: [Int] = []
        var suffix: [Int] = []
    }

    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: BPEModel
    let postProcessor: PostProcessor
    let decoder: TokenDecoder
    let addedTokenMatcher: AddedTokenMatcher
    /// id → token string (`nil` for holes in the id space).
    let idToToken: [String?]
    private let addedTokensByID: [Int: AddedToken]
    private let addedTokenIDsByContent: [ExactKey: Int]

    /// All added tokens (special and not), in id order.
    public let addedTokens: [AddedToken]
    /// Ids of the added tokens marked `special`.
    public let specialTokenIDs: Set<Int>

    init(
        normalizer: Normalizer?, preTokenizer: PreTokenizer?, model: BPEModel, postProcessor: PostProcessor,
        decoderOptions: TokenDecoder.Options, addedTokens: [AddedToken]
    ) {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        let sortedAdded = addedTokens.sorted { $0.id < $1.id }
        self.addedTokens = sortedAdded
        self.addedTokenMatcher = AddedTokenMatcher(sortedAdded)
        var byID: [Int: AddedToken] = [:]
        var byContent: [ExactKey: Int] = [:]
        for t in sortedAdded {
            byID[t.id] = t
            byContent[ExactKey(t.content)] = t.id
        }
        self.addedTokensByID = byID
        self.addedTokenIDsByContent = byContent
        self.specialTokenIDs = Set(sortedAdded.filter(\.special).map(\.id))
        let size = max((model.vocab.values.max() ?? -1) + 1, (sortedAdded.map(\.id).max() ?? -1) + 1)
        var table = [String?](repeating: nil, count: size)
        for (key, id) in model.vocab { table[id] = key.string }
        for t in sortedAdded { table[t.id] = t.content }
        self.idToToken = table
        self.decoder = TokenDecoder(options: decoderOptions, idToToken: table, addedTokenIds: Set(byID.keys))
    }

    /// One past the largest token id (the embedding rows a model needs at least).
    public var vocabularySize: Int { idToToken.count }

    /// The id of a token string (added tokens included), or `nil`.
    public func tokenID(for token: String) -> Int? {
        addedTokenIDsByContent[ExactKey(token)] ?? model.vocab[ExactKey(token)]
    }

    /// The token string of an id (in the model's alphabet, e.g. `Ġhello`), or `nil`.
    public func token(for id: Int) -> String? {
        id >= 0 && id < idToToken.count ? idToToken[id] : nil
    }

    /// Whether `id` is an added token marked special (BOS/EOS/chat markers...).
    public func isSpecial(_ id: Int) -> Bool { specialTokenIDs.contains(id) }

    /// Token ids the post-processor puts before/after a single sequence (e.g. `[bos]`).
    public var specialPrefixIDs: [Int] { postProcessor.prefix }
    public var specialSuffixIDs: [Int] { postProcessor.suffix }

    /// Encodes `text`.
    /// - Parameters:
    ///   - addSpecialTokens: add the post-processor's tokens (e.g. BOS), as HF's `add_special_tokens`.
    ///   - parseSpecialTokens: recognize special added tokens written in the text (HF always does);
    ///     pass `false` for untrusted user content so `<|im_start|>` in it stays plain text.
    public func encode(_ text: String, addSpecialTokens: Bool = true, parseSpecialTokens: Bool = true) -> [Int] {
        var ids: [Int] = addSpecialTokens ? postProcessor.prefix : []
        var isFirst = true
        let byteLevel = preTokenizer?.isByteLevel ?? false
        for segment in addedTokenMatcher.split(text, includeSpecial: parseSpecialTokens) {
            switch segment {
            case .token(let token):
                ids.append(token.id)
            case .text(let raw):
                let normalized = normalizer?.apply(raw) ?? raw
                if let preTokenizer {
                    for word in preTokenizer.apply(normalized, isFirstSegment: isFirst) {
                        ids.append(contentsOf: byteLevel ? model.tokenize(byteLevelWord: word) : model.tokenize(word))
                    }
                } else {
                    ids.append(contentsOf: model.tokenize(normalized))
                }
            }
            isFirst = false
        }
        if addSpecialTokens { ids.append(contentsOf: postProcessor.suffix) }
        return ids
    }

    /// The raw bytes `ids` decode to (before UTF-8 repair), honoring the decoder's leading-space strip.
    public func decodeBytes(_ ids: [Int], skipSpecialTokens: Bool = false) -> [UInt8] {
        var bytes: [UInt8] = []
        var stripped = false
        var isFirst = true
        for id in ids {
            if skipSpecialTokens && specialTokenIDs.contains(id) { continue }
            var piece = decoder.bytes(for: id, isFirst: isFirst)[...]
            isFirst = false
            if !stripped && !piece.isEmpty {
                stripped = true
                var n = decoder.options.stripLeadingSpaces
                while n > 0, piece.first == UInt8(ascii: " ") { piece = piece.dropFirst(); n -= 1 }
            }
            bytes.append(contentsOf: piece)
        }
        return bytes
    }

    /// Decodes `ids` to text; invalid UTF-8 (e.g. a cut multi-byte character) becomes U+FFFD.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        String(decoding: decodeBytes(ids, skipSpecialTokens: skipSpecialTokens), as: UTF8.self)
    }

    /// A decoder for token-by-token output that never emits half a UTF-8 character.
    public func makeStreamingDecoder(skipSpecialTokens: Bool = false) -> StreamingDecoder {
        StreamingDecoder(tokenizer: self, skipSpecialTokens: skipSpecialTokens)
    }

    func rawBytes(for id: Int, isFirst: Bool) -> [UInt8] { decoder.bytes(for: id, isFirst: isFirst) }
    var leadingSpacesToStrip: Int { decoder.options.stripLeadingSpaces }
}

/// Incremental detokenizer: feed ids as they are generated, get text as soon as it is complete.
/// Bytes of an unfinished UTF-8 sequence are held back until the next token completes them.
public struct StreamingDecoder: Sendable {
    private let tokenizer: Tokenizer
    private let skipSpecialTokens: Bool
    private var pending: [UInt8] = []
    private var started = false
    private var sawToken = false

    init(tokenizer: Tokenizer, skipSpecialTokens: Bool) {
        self.tokenizer = tokenizer
        self.skipSpecialTokens = skipSpecialTokens
    }

    /// Adds one token; returns the text that became complete (possibly empty).
    public mutating func push(_ id: Int) -> String {
        if skipSpecialTokens && tokenizer.isSpecial(id) { return "" }
        var piece = tokenizer.rawBytes(for: id, isFirst: !sawToken)[...]
        sawToken = true
        if !started && !piece.isEmpty {
            started = true
            var n = tokenizer.leadingSpacesToStrip
            while n > 0, piece.first == UInt8(ascii: " ") { piece = piece.dropFirst(); n -= 1 }
        }
        pending.append(contentsOf: piece)
        let cut = Self.completePrefixLength(pending)
        if cut == 0 { return "" }
        let text = String(decoding: pending[..<cut], as: UTF8.self)
        pending.removeFirst(cut)
        return text
    }

    /// Returns whatever is held back (an incomplete sequence becomes U+FFFD) and resets.
    public mutating func finish() -> String {
        defer {
            pending.removeAll()
            started = false
            sawToken = false
        }
        return pending.isEmpty ? "" : String(decoding: pending, as: UTF8.self)
    }

    /// Length of the longest prefix that does not end inside an incomplete UTF-8 sequence.
    static func completePrefixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        var k = 1
        while k <= min(4, n) {
            let b = bytes[n - k]
            if b & 0xC0 == 0x80 { k += 1; continue }  // continuation byte: look further back
            let needed = b >= 0xF0 && b <= 0xF4 ? 4 : b >= 0xE0 && b < 0xF0 ? 3 : b >= 0xC2 && b < 0xE0 ? 2 : 1
            return needed > k ? n - k : n
        }
        return n
    }
}
