/// A token that is matched in raw text before normalization and BPE (`added_tokens` in tokenizer.json):
/// special tokens such as `<|im_start|>` and user-defined ones.
public struct AddedToken: Sendable, Hashable {
    public var id: Int
    public var content: String
    /// Special tokens are dropped by `decode(skipSpecialTokens: true)` and are not matched in text
    /// when encoding with `parseSpecialTokens: false`.
    public var special: Bool
    /// Swallow whitespace on the left / right of the token.
    public var lstrip: Bool
    public var rstrip: Bool

    public init(id: Int, content: String, special: Bool, lstrip: Bool = false, rstrip: Bool = false) {
        self.id = id
        self.content = content
        self.special = special
        self.lstrip = lstrip
        self.rstrip = rstrip
    }
}

/// One piece of text after added tokens were cut out.
enum TextSegment: Equatable {
    case text(String)
    case token(AddedToken)
}

/// Finds added tokens in text: leftmost match first, longest token on ties (as HF's Aho-Corasick
/// with leftmost-longest semantics). Matching runs on UTF-8 bytes; a token's first byte is never a
/// continuation byte, so cuts always fall on character boundaries.
struct AddedTokenMatcher: Sendable {
    private let tokens: [AddedToken]
    private let tokenBytes: [[UInt8]]
    /// For each first byte, indices into `tokens`, longest first.
    private let candidates: [[Int]]

    init(_ tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        let tokenBytes = usable.map { Array($0.content.utf8) }
        self.tokenBytes = tokenBytes
        var candidates = [[Int]](repeating: [], count: 256)
        for (i, bytes) in tokenBytes.enumerated() { candidates[Int(bytes[0])].append(i) }
        for b in 0..<256 {
            candidates[b].sort { (tokenBytes[$0].count, $1) > (tokenBytes[$1].count, $0) }
        }
        self.candidates = candidates
    }

    var isEmpty: Bool { tokens.isEmpty }

    func split(_ text: String, includeSpecial: Bool) -> [TextSegment] {
        if tokens.isEmpty || text.isEmpty { return [.text(text)] }
        let bytes = Array(text.utf8)
        var segments: [TextSegment] = []
        var textStart = 0
        var i = 0
        while i < bytes.count {
            var matched: Int?
            for c in candidates[Int(bytes[i])] {
                let t = tokenBytes[c]
                if t.count <= bytes.count - i, (includeSpecial || !tokens[c].special),
                    bytes[i..<(i + t.count)].elementsEqual(t)
                {
                    matched = c
                    break
                }
            }
            guard let c = matched else { i += 1; continue }
            if textStart < i { segments.append(.text(String(decoding: bytes[textStart..<i], as: UTF8.self))) }
            segments.append(.token(tokens[c]))
            i += tokenBytes[c].count
            textStart = i
        }
        if textStart < bytes.count { segments.append(.text(String(decoding: bytes[textStart...], as: UTF8.self))) }
        return Self.applyStrip(segments)
    }

    /// Drops whitespace scalars from one end (scalar-wise, as Rust's `char::is_whitespace`).
    private static func trimWhitespace(_ text: String, leading: Bool) -> String {
        var scalars = Array(text.unicodeScalars)[...]
        if leading {
            while let f = scalars.first, f.properties.isWhitespace { scalars = scalars.dropFirst() }
        } else {
            while let l = scalars.last, l.properties.isWhitespace { scalars = scalars.dropLast() }
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    /// Applies `lstrip`/`rstrip`: whitespace next to such a token belongs to the token.
    private static func applyStrip(_ segments: [TextSegment]) -> [TextSegment] {
        var out = segments
        for (i, segment) in segments.enumerated() {
            guard case .token(let token) = segment else { continue }
            if token.lstrip, i > 0, case .text(let left) = out[i - 1] {
                out[i - 1] = .text(trimWhitespace(left, leading: false))
            }
            if token.rstrip, i + 1 < out.count, case .text(let right) = out[i + 1] {
                out[i + 1] = .text(trimWhitespace(right, leading: true))
            }
        }
        return out.filter { if case .text(let s) = $0 { !s.isEmpty } else { true } }
    }
}
