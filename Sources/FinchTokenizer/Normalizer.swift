import Foundation

/// The normalizers of tokenizer.json that our models use (applied to each text segment between
/// added tokens, before pre-tokenization).
public indirect enum Normalizer: Sendable {
    case sequence([Normalizer])
    /// Unicode NFC (Qwen2).
    case nfc
    /// Unicode NFKC.
    case nfkc
    case lowercase
    /// `Prepend`: adds `prefix` to a non-empty segment (Llama 2's leading `▁`).
    case prepend(String)
    /// `Replace` with a literal string pattern (Llama 2: " " → "▁").
    case replace(pattern: String, content: String)

    func apply(_ text: String) -> String {
        switch self {
        case .sequence(let items): items.reduce(text) { $1.apply($0) }
        case .nfc: text.precomposedStringWithCanonicalMapping
        case .nfkc: text.precomposedStringWithCompatibilityMapping
        case .lowercase: text.lowercased()
        case .prepend(let prefix): text.isEmpty ? text : prefix + text
        case .replace(let pattern, let content): pattern.isEmpty ? text : text.replacingAll(pattern, with: content)
        }
    }
}
