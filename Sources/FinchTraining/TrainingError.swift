/// Why training could not start or continue. Data problems use `DataValidationError` instead.
public enum TrainingError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidConfiguration(String)
    case io(path: String, reason: String)
    case resumeMismatch(String)
    case model(String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let m): "invalid training configuration: \(m)"
        case .io(let path, let reason): "\(path): \(reason)"
        case .resumeMismatch(let m): "cannot resume: \(m)"
        case .model(let m): "model: \(m)"
        }
    }
}
