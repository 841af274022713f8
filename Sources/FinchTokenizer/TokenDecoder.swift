/// Turns token ids back into bytes, as the tokenizer.json `decoder` describes: byte-level alphabet
/// (GPT-2 family) or SentencePiece-style `▁` → space with `<0xXX>` byte fallback (Llama 2 family).
/// Every token's bytes are computed once, so decoding is a table look-up per id.
struct TokenDecoder: Sendable {
    struct Options: Sendable {
        var byteLevel = false
        var byteFallback = false
        /// Literal replacements applied to each token string (e.g. "▁" → " ").
        var replacements: [(String, String)] = []
        /// Leading spaces removed from the start of the output (the `Strip` decoder after `Fuse`).
        var stripLeadingSpaces = 0
        /// `Metaspace` decoder with a prepend scheme: in the first token every ▁ is dropped rather
        /// than turned into a space (as HF does).
        var metaspaceFirstToken: String?
    }

    let options: Options
    /// Bytes of each token id; empty for holes in the id space.
    private let tokenBytes: [[UInt8]]
    private let idToToken: [String?]

    init(options: Options, idToToken: [String?], addedTokenIds: Set<Int>) {
        self.options = options
        self.idToToken = idToToken
        var table: [[UInt8]] = []
        table.reserveCapacity(idToToken.count)
        for (id, token) in idToToken.enumerated() {
            guard let token else { table.append([]); continue }
            if addedTokenIds.contains(id) {
                table.append(Array(token.utf8))
            } else {
                table.append(Self.bytes(of: token, options))
            }
        }
        self.tokenBytes = table
    }

    private static func bytes(of token: String, _ options: Options) -> [UInt8] {
        if options.byteFallback, let byte = fallbackByte(token) { return [byte] }
        var text = token
        for (from, to) in options.replacements { text = text.replacingAll(from, with: to) }
        return options.byteLevel ? ByteLevelAlphabet.decode(text) : Array(text.utf8)
    }

    /// `<0xAB>` → 0xAB
    private static func fallbackByte(_ token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
            u[5] == UInt8(ascii: ">")
        else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }

    /// The bytes of `id` (empty for an unknown id: decoding never traps). `isFirst` marks the first
    /// token of a decode, which the Metaspace decoder treats specially.
    func bytes(for id: Int, isFirst: Bool = false) -> [UInt8] {
        guard id >= 0 && id < tokenBytes.count else { return [] }
        if isFirst, let replacement = options.metaspaceFirstToken, let token = idToToken[id] {
            return Self.bytes(of: token.replacingAll(replacement, with: ""), options)
        }
        return tokenBytes[id]
    }
}
