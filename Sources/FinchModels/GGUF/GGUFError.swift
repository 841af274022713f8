/// Why a GGUF file could not be read. Every malformed, truncated or hostile input ends here
/// (never in a trap), with a message that says what was wrong and where.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case cannotOpen(path: String, reason: String)
    /// The first four bytes are not `GGUF`.
    case badMagic
    /// A GGUF version this reader does not understand (v1, or a big-endian file).
    case unsupportedVersion(UInt32)
    /// The file ends before a field that must be there.
    case truncated(what: String, offset: Int)
    /// A structurally invalid field (bad count, unknown value type, overflowing size, ...).
    case malformed(String)
    /// A metadata key that is required by the caller is missing or has the wrong type.
    case missingMetadata(key: String, expected: String)
    /// A tensor with this name is not in the file.
    case tensorNotFound(String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "GGUF: cannot open \(path): \(reason)"
        case .badMagic: "GGUF: not a GGUF file (bad magic; expected 'GGUF')"
        case .unsupportedVersion(let v): "GGUF: unsupported version \(v) (supported: 2, 3, little-endian)"
        case .truncated(let what, let offset): "GGUF: file is truncated: \(what) at byte \(offset) runs past the end"
        case .malformed(let why): "GGUF: malformed file: \(why)"
        case .missingMetadata(let key, let expected): "GGUF: metadata key '\(key)' is missing or is not \(expected)"
        case .tensorNotFound(let name): "GGUF: no tensor named '\(name)'"
        }
    }
}
