/// One token of a Jinja expression.
enum JinjaToken: Equatable, Sendable {
    case name(String)
    case string(String)
    case int(Int)
    case double(Double)
    case op(String)
}

/// A piece of template source: literal text, `{{ expression }}` or `{% statement %}`.
enum TemplatePiece: Sendable {
    case text(String)
    case output([JinjaToken], line: Int)
    case statement([JinjaToken], line: Int)
}

/// Splits template source into pieces, applying whitespace control exactly as Jinja does with the
/// Hugging Face settings `trim_blocks=True, lstrip_blocks=True`: `-` strips all whitespace on that side,
/// a newline right after `%}`/`#}` is dropped, spaces and tabs before `{%`/`{#` at the start of a line
/// are dropped, and one trailing newline of the template is removed.
struct JinjaLexer {
    private let bytes: [UInt8]
    private var pos = 0
    private var line = 1
    var trimBlocks = true
    var lstripBlocks = true

    init(source: String) {
        // Jinja normalizes newlines and drops a single trailing newline (keep_trailing_newline=False).
        var text = source.replacingAll("\r\n", with: "\n").replacingAll("\r", with: "\n")
        if text.hasSuffix("\n") { text.removeLast() }
        bytes = Array(text.utf8)
    }

    private static let lbrace = UInt8(ascii: "{"), rbrace = UInt8(ascii: "}"), percent = UInt8(ascii: "%")
    private static let hash = UInt8(ascii: "#"), minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+")
    private static let newline = UInt8(ascii: "\n")

    private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    mutating func tokenize() throws -> [TemplatePiece] {
        var pieces: [TemplatePiece] = []
        var lineStarting = true
        while pos <= bytes.count {
            // Find the next tag opening.
            var i = pos
            var kind: UInt8 = 0
            while i + 1 < bytes.count {
                if bytes[i] == Self.lbrace, [Self.lbrace, Self.percent, Self.hash].contains(bytes[i + 1]) {
                    kind = bytes[i + 1]
                    break
                }
                i += 1
            }
            if kind == 0 { i = bytes.count }
            var text = Array(bytes[pos..<i])
            if kind != 0 {
                let modifier = i + 2 < bytes.count ? bytes[i + 2] : 0
                if modifier == Self.minus {
                    while let last = text.last, Self.isSpace(last) { text.removeLast() }
                } else if modifier != Self.plus && lstripBlocks && kind != Self.lbrace {
                    let lineStart = (text.lastIndex(of: Self.newline).map { $0 + 1 }) ?? 0
                    if lineStart > 0 || lineStarting,
                        text[lineStart...].allSatisfy({ $0 == 0x20 || $0 == 0x09 })
                    {
                        text.removeSubrange(lineStart...)
                    }
                }
            }
            if !text.isEmpty { pieces.append(.text(String(decoding: text, as: UTF8.self))) }
            line += bytes[pos..<i].filter { $0 == Self.newline }.count
            if kind == 0 { break }
            pos = i + 2
            if pos < bytes.count, bytes[pos] == Self.minus || bytes[pos] == Self.plus { pos += 1 }
            let startLine = line
            var rightStrip = false
            var rightPlus = false
            switch kind {
            case Self.hash:
                guard let end = find([Self.hash, Self.rbrace], from: pos) else {
                    throw ChatTemplateError.syntax("unclosed comment '{#'", line: startLine)
                }
                rightStrip = end > pos && bytes[end - 1] == Self.minus
                line += bytes[pos..<end].filter { $0 == Self.newline }.count
                pos = end + 2
            default:
                var expr = JinjaExpressionLexer(bytes: bytes, pos: pos, line: line)
                let close: UInt8 = kind == Self.lbrace ? Self.rbrace : Self.percent
                let tokens = try expr.tokens(until: close)
                pos = expr.pos
                line = expr.line
                rightStrip = expr.endModifier == Self.minus
                rightPlus = expr.endModifier == Self.plus
                pieces.append(kind == Self.lbrace ? .output(tokens, line: startLine) : .statement(tokens, line: startLine))
            }
            // Whitespace after the tag.
            lineStarting = false
            if rightStrip {
                let start = pos
                while pos < bytes.count, Self.isSpace(bytes[pos]) { pos += 1 }
                line += bytes[start..<pos].filter { $0 == Self.newline }.count
                lineStarting = pos > start && bytes[pos - 1] == Self.newline
            } else if trimBlocks && kind != Self.lbrace && !rightPlus, pos < bytes.count, bytes[pos] == Self.newline {
                pos += 1
                line += 1
                lineStarting = true
            }
        }
        return pieces
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && bytes[i + 1] == needle[1] { return i }
            i += 1
        }
        return nil
    }
}

/// Tokenizes the expression inside `{{ }}` or `{% %}` up to the closing delimiter.
struct JinjaExpressionLexer {
    let bytes: [UInt8]
    var pos: Int
    var line: Int
    /// `-` or `+` right before the closing delimiter, or 0.
    var endModifier: UInt8 = 0

    private static let operators = ["**", "//", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                                    "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"]

    mutating func tokens(until close: UInt8) throws -> [JinjaToken] {
        var tokens: [JinjaToken] = []
        let rbrace = UInt8(ascii: "}")
        while true {
            while pos < bytes.count, bytes[pos] == 0x20 || (bytes[pos] >= 0x09 && bytes[pos] <= 0x0D) {
                if bytes[pos] == 0x0A { line += 1 }
                pos += 1
            }
            guard pos < bytes.count else { throw ChatTemplateError.syntax("unclosed tag", line: line) }
            let b = bytes[pos]
            // Closing delimiter, optionally preceded by - or +.
            if (b == UInt8(ascii: "-") || b == UInt8(ascii: "+")), pos + 2 < bytes.count, bytes[pos + 1] == close,
                bytes[pos + 2] == rbrace
            {
                endModifier = b
                pos += 3
                return tokens
            }
            if b == close, pos + 1 < bytes.count, bytes[pos + 1] == rbrace {
                // `}}` also closes a `{{ ... }}` whose last token is a dict literal's `}`: Jinja lexes greedily too.
                pos += 2
                return tokens
            }
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") {
                tokens.append(.string(try string(quote: b)))
            } else if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) {
                tokens.append(number())
            } else if b == UInt8(ascii: "_") || (b | 0x20 >= UInt8(ascii: "a") && b | 0x20 <= UInt8(ascii: "z")) || b >= 0x80 {
                let start = pos
                while pos < bytes.count,
                    bytes[pos] == UInt8(ascii: "_") || bytes[pos] >= 0x80
                        || (bytes[pos] | 0x20 >= UInt8(ascii: "a") && bytes[pos] | 0x20 <= UInt8(ascii: "z"))
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos])
                {
                    pos += 1
                }
                tokens.append(.name(String(decoding: bytes[start..<pos], as: UTF8.self)))
            } else if let op = Self.operators.first(where: { matches($0) }) {
                pos += op.utf8.count
                tokens.append(.op(op))
            } else {
                throw ChatTemplateError.syntax("unexpected character '\(Unicode.Scalar(b))'", line: line)
            }
        }
    }

    private func matches(_ op: String) -> Bool {
        let u = Array(op.utf8)
        guard pos + u.count <= bytes.count else { return false }
        return bytes[pos..<(pos + u.count)].elementsEqual(u)
    }

    private mutating func number() -> JinjaToken {
        let start = pos
        func digits() { while pos < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos]) || bytes[pos] == UInt8(ascii: "_") { pos += 1 } }
        digits()
        var isFloat = false
        if pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "."), (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[pos + 1]) {
            isFloat = true
            pos += 1
            digits()
        }
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            var p = pos + 1
            if p < bytes.count, bytes[p] == UInt8(ascii: "+") || bytes[p] == UInt8(ascii: "-") { p += 1 }
            if p < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[p]) {
                isFloat = true
                pos = p
                digits()
            }
        }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self).replacingAll("_", with: "")
        if !isFloat, let i = Int(text) { return .int(i) }
        return .double(Double(text) ?? 0)
    }

    /// A Python-style string literal with backslash escapes.
    private mutating func string(quote: UInt8) throws -> String {
        let startLine = line
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count else { throw ChatTemplateError.syntax("unterminated string literal", line: startLine) }
            let b = bytes[pos]
            if b == quote { pos += 1; break }
            if b == 0x0A { line += 1 }
            guard b == UInt8(ascii: "\\"), pos + 1 < bytes.count else { out.append(b); pos += 1; continue }
            let e = bytes[pos + 1]
            pos += 2
            switch e {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "0"): out.append(0x00)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(e)
            case UInt8(ascii: "\n"): line += 1  // line continuation
            case UInt8(ascii: "x"), UInt8(ascii: "u"), UInt8(ascii: "U"):
                let count = e == UInt8(ascii: "x") ? 2 : e == UInt8(ascii: "u") ? 4 : 8
                guard pos + count <= bytes.count,
                    let v = UInt32(String(decoding: bytes[pos..<(pos + count)], as: UTF8.self), radix: 16),
                    let scalar = Unicode.Scalar(v)
                else { throw ChatTemplateError.syntax("invalid \\\(Unicode.Scalar(e)) escape", line: line) }
                out.append(contentsOf: Array(String(scalar).utf8))
                pos += count
            default:
                out.append(UInt8(ascii: "\\"))
                out.append(e)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
