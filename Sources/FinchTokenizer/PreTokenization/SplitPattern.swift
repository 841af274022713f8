/// The pre-tokenizer regexes of the models we support, hand-written as scanners that behave exactly
/// like the regexes (leftmost alternative first, greedy with backtracking) under Oniguruma semantics.
/// Swift Regex would be simpler but is too slow on Linux for tokenizing training data.
public enum SplitPattern: String, Sendable, CaseIterable {
    /// GPT-2 (also SmolLM/SmolLM2 after a Digits split, StarCoder):
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
    case gpt2
    /// Llama 3: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3
    /// Qwen2: as Llama 3 but with `\p{N}` (single digits) instead of `\p{N}{1,3}`.
    case qwen2

    /// The regex source text as it appears in tokenizer.json.
    public var regex: String {
        switch self {
        case .gpt2:
            #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
        case .llama3:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        case .qwen2:
            #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
        }
    }

    /// Recognizes a regex source from tokenizer.json (`nil` when it is not one we implement).
    public init?(regex: String) {
        guard let match = SplitPattern.allCases.first(where: { $0.regex == regex }) else { return nil }
        self = match
    }

    /// Splits `text` into the pieces HF's `Split(pattern, behavior: Isolated)` produces.
    public func pieces(of text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return split(scalars).map { range in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[range])
            return String(view)
        }
    }

    /// Splits `scalars` into consecutive pieces: every regex match, and every unmatched gap as its
    /// own piece (the `Isolated` behavior). The pieces cover the input exactly.
    func split(_ scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        var i = 0
        let n = scalars.count
        while i < n {
            let end: Int
            switch self {
            case .gpt2: end = Self.matchGPT2(scalars, i, n)
            case .llama3: end = Self.matchLlama3(scalars, i, n, maxDigits: 3)
            case .qwen2: end = Self.matchLlama3(scalars, i, n, maxDigits: 1)
            }
            pieces.append(i..<end)
            i = end
        }
        return pieces
    }

    // MARK: Scanners. Each returns the end of the match starting at `i` (always > i).

    private typealias U = UnicodeClass

    /// End of the run of `cls` characters starting at `j`.
    @inline(__always)
    private static func run(_ s: [Unicode.Scalar], _ j: Int, _ n: Int, _ cls: (Unicode.Scalar) -> Bool) -> Int {
        var k = j
        while k < n && cls(s[k]) { k += 1 }
        return k
    }

    /// `'s|'t|'re|'ve|'m|'ll|'d`, optionally case-insensitive (with Unicode simple case folding: ſ ~ s).
    private static func contraction(_ s: [Unicode.Scalar], _ i: Int, _ n: Int, ignoreCase: Bool) -> Int? {
        guard s[i] == "'", i + 1 < n else { return nil }
        func fold(_ c: Unicode.Scalar) -> Unicode.Scalar {
            guard ignoreCase else { return c }
            if c == "\u{017F}" { return "s" }
            if c.value >= 0x41 && c.value <= 0x5A { return Unicode.Scalar(c.value + 0x20)! }
            return c
        }
        let a = fold(s[i + 1])
        if a == "s" || a == "t" || a == "m" || a == "d" { return i + 2 }
        guard i + 2 < n else { return nil }
        let b = fold(s[i + 2])
        if (a == "r" && b == "e") || (a == "v" && b == "e") || (a == "l" && b == "l") { return i + 3 }
        return nil
    }

    /// `\s+(?!\S)|\s+` at a whitespace character: the run minus its last character when a
    /// non-space follows and the run is longer than one.
    @inline(__always)
    private static func whitespaceRun(_ s: [Unicode.Scalar], _ i: Int, _ n: Int) -> Int {
        let k = run(s, i, n, U.isWhitespace)
        if k == n || k - i == 1 { return k }
        return k - 1
    }

    private static func matchGPT2(_ s: [Unicode.Scalar], _ i: Int, _ n: Int) -> Int {
        if let end = contraction(s, i, n, ignoreCase: false) { return end }
        let c = s[i]
        let j = (c == " " && i + 1 < n) ? i + 1 : i
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: with the optional space, else without it.
        for cls in [U.isLetter, U.isNumber, U.isOther] as [(Unicode.Scalar) -> Bool] {
            if cls(s[j]) { return run(s, j, n, cls) }
            if j != i && cls(c) { return run(s, i, n, cls) }
        }
        if U.isWhitespace(c) { return whitespaceRun(s, i, n) }
        return i + 1
    }

    private static func matchLlama3(_ s: [Unicode.Scalar], _ i: Int, _ n: Int, maxDigits: Int) -> Int {
        if let end = contraction(s, i, n, ignoreCase: true) { return end }
        let c = s[i]
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if U.isLetter(c) { return run(s, i, n, U.isLetter) }
        if !U.isNewline(c) && !U.isNumber(c) && i + 1 < n && U.isLetter(s[i + 1]) {
            return run(s, i + 1, n, U.isLetter)
        }
        // `\p{N}{1,maxDigits}`
        if U.isNumber(c) {
            var k = i + 1
            while k < n && k - i < maxDigits && U.isNumber(s[k]) { k += 1 }
            return k
        }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let j = (c == " " && i + 1 < n) ? i + 1 : i
        if U.isOther(s[j]) {
            let k = run(s, j, n, U.isOther)
            return run(s, k, n, U.isNewline)
        }
        if U.isWhitespace(c) {
            // `\s*[\r\n]+`: through the last newline of the whitespace run.
            let k = run(s, i, n, U.isWhitespace)
            var m = k - 1
            while m >= i && !U.isNewline(s[m]) { m -= 1 }
            if m >= i { return m + 1 }
            // `\s+(?!\S)|\s+`
            if k == n || k - i == 1 { return k }
            return k - 1
        }
        return i + 1
    }
}
