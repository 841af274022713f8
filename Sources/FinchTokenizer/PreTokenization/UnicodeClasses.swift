/// The character classes of the pre-tokenizer regexes, with the meaning Oniguruma gives them in
/// HF tokenizers: `\p{L}` = general category L*, `\p{N}` = Nd/Nl/No, `\s` = the White_Space property.
enum UnicodeClass {
    @inline(__always)
    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return (v | 0x20) >= 0x61 && (v | 0x20) <= 0x7A }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    @inline(__always)
    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v >= 0x30 && v <= 0x39 }
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    @inline(__always)
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return s.properties.isWhitespace
    }

    /// `[^\s\p{L}\p{N}]`
    @inline(__always)
    static func isOther(_ s: Unicode.Scalar) -> Bool {
        !isWhitespace(s) && !isLetter(s) && !isNumber(s)
    }

    @inline(__always)
    static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }
}
