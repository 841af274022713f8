/// Why a tokenizer could not be built. A broken or unsupported tokenizer.json throws one of these,
/// naming the JSON path of the problem; it never traps.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not valid JSON.
    case invalidJSON(String)
    /// A required field is missing or has the wrong type, e.g. `model.vocab`.
    case invalidField(path: String, reason: String)
    /// A component type (model, normalizer, pre-tokenizer, decoder, post-processor) we do not implement.
    case unsupported(path: String, what: String)
    /// A file could not be read.
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalidJSON(let why): "tokenizer.json is not valid JSON: \(why)"
        case .invalidField(let path, let reason): "tokenizer.json: '\(path)' \(reason)"
        case .unsupported(let path, let what): "tokenizer.json: unsupported \(what) at '\(path)'"
        case .cannotRead(let path, let reason): "cannot read tokenizer file \(path): \(reason)"
        }
    }
}
