/// Why a model could not be loaded, imported or run. Outside input (config.json, safetensors
/// headers, GGUF files, token ids) always ends here, never in a trap.
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    case fileNotFound(String)
    case io(path: String, reason: String)
    case invalidSafetensors(path: String, reason: String)
    case unsupportedDType(name: String, dtype: String)
    case invalidConfig(String)
    case unsupportedArchitecture(String)
    case missingWeight(String)
    case shapeMismatch(name: String, expected: [Int], actual: [Int])
    case tokenOutOfRange(token: Int, vocabSize: Int)
    case contextTooLong(length: Int, limit: Int)
    case unsupportedQuantization(tensor: String, type: String)
    case invalidGGUF(String)
    case tokenizer(String)

    public var description: String {
        switch self {
        case .fileNotFound(let p): "file not found: \(p)"
        case .io(let p, let r): "cannot read or write \(p): \(r)"
        case .invalidSafetensors(let p, let r): "invalid safetensors file \(p): \(r)"
        case .unsupportedDType(let n, let d): "tensor '\(n)' has dtype \(d); supported: F32, F16, BF16"
        case .invalidConfig(let r): "invalid config.json: \(r)"
        case .unsupportedArchitecture(let t):
            "model_type '\(t)' is not supported (supported: \(ModelRegistry.supportedTypes.joined(separator: ", ")))"
        case .missingWeight(let n): "weight '\(n)' is missing from the checkpoint"
        case .shapeMismatch(let n, let e, let a): "weight '\(n)' has shape \(a), expected \(e)"
        case .tokenOutOfRange(let t, let v): "token id \(t) is outside the vocabulary (size \(v))"
        case .contextTooLong(let n, let l): "sequence of \(n) tokens exceeds the limit of \(l)"
        case .unsupportedQuantization(let t, let ty):
            "tensor '\(t)' uses GGML type \(ty), which is not supported yet (supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1)"
        case .invalidGGUF(let r): "cannot import GGUF: \(r)"
        case .tokenizer(let r): "tokenizer: \(r)"
        }
    }
}
