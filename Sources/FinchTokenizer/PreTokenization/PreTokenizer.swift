/// How `Metaspace` adds the leading `▁`.
public enum PrependScheme: String, Sendable {
    case always, first, never
}

/// The pre-tokenizers of tokenizer.json that our models use. They cut normalized text into words;
/// BPE never merges across a word boundary.
public indirect enum PreTokenizer: Sendable {
    case sequence([PreTokenizer])
    /// `Split` with a known regex and `Isolated` behavior.
    case split(SplitPattern)
    /// `ByteLevel`: optional leading space and optional GPT-2 regex split. The bytes → byte-level
    /// alphabet step is left to the model (`BPEModel.tokenize(byteLevelWord:)`), which maps bytes
    /// straight to symbol ids instead of building the mapped string.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Digits`: numbers split off, one digit per piece when `individual`.
    case digits(individual: Bool)
    /// `Metaspace`: spaces become `replacement` (▁), a leading one is prepended per `prependScheme`,
    /// and with `split` every ▁ starts a new piece.
    case metaspace(replacement: Unicode.Scalar, prependScheme: PrependScheme, split: Bool)

    /// Whether the output pieces still need the byte-level mapping (done by the model).
    var isByteLevel: Bool {
        switch self {
        case .byteLevel: true
        case .sequence(let items): items.contains { $0.isByteLevel }
        default: false
        }
    }

    /// Pre-tokenizes one text segment. `isFirstSegment` is false for text that follows an added token
    /// (Metaspace's `first` scheme only prepends at the very start).
    func apply(_ text: String, isFirstSegment: Bool) -> [String] {
        apply(to: [text], isFirstSegment: isFirstSegment)
    }

    private func apply(to pieces: [String], isFirstSegment: Bool) -> [String] {
        switch self {
        case .sequence(let items):
            var current = pieces
            for item in items { current = item.apply(to: current, isFirstSegment: isFirstSegment) }
            return current
        case .split(let pattern):
            return pieces.flatMap { piece in
                let scalars = Array(piece.unicodeScalars)
                return pattern.split(scalars).map { Self.string(scalars[$0]) }
            }
        case .byteLevel(let addPrefixSpace, let useRegex):
            var out: [String] = []
            for var piece in pieces {
                if addPrefixSpace && piece.utf8.first != UInt8(ascii: " ") { piece = " " + piece }
                if useRegex {
                    let scalars = Array(piece.unicodeScalars)
                    for range in SplitPattern.gpt2.split(scalars) { out.append(Self.string(scalars[range])) }
                } else {
                    out.append(piece)
                }
            }
            return out
        case .digits(let individual):
            return pieces.flatMap { Self.splitDigits($0, individual: individual) }
        case .metaspace(let replacement, let scheme, let split):
            var out: [String] = []
            for (index, piece) in pieces.enumerated() {
                // As HF: spaces become ▁ first, then ▁ is prepended unless the piece already starts with one.
                var scalars = String.UnicodeScalarView()
                let prepend = scheme == .always || (scheme == .first && isFirstSegment && index == 0)
                let replaced = piece.unicodeScalars.map { $0 == " " ? replacement : $0 }
                if prepend && !replaced.isEmpty && replaced.first != replacement { scalars.append(replacement) }
                scalars.append(contentsOf: replaced)
                guard split else { out.append(String(scalars)); continue }
                var current = String.UnicodeScalarView()
                for s in scalars {
                    if s == replacement && !current.isEmpty {
                        out.append(String(current))
                        current = String.UnicodeScalarView()
                    }
                    current.append(s)
                }
                if !current.isEmpty { out.append(String(current)) }
            }
            return out
        }
    }

    private static func string(_ slice: ArraySlice<Unicode.Scalar>) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: slice)
        return String(view)
    }

    private static func splitDigits(_ piece: String, individual: Bool) -> [String] {
        let scalars = Array(piece.unicodeScalars)
        var out: [String] = []
        var start = 0
        var i = 0
        while i < scalars.count {
            guard UnicodeClass.isNumber(scalars[i]) else { i += 1; continue }
            if start < i { out.append(string(scalars[start..<i])) }
            var end = i + 1
            if !individual { while end < scalars.count && UnicodeClass.isNumber(scalars[end]) { end += 1 } }
            out.append(string(scalars[i..<end]))
            i = end
            start = end
        }
        if start < scalars.count { out.append(string(scalars[start..<scalars.count])) }
        return out
    }
}
