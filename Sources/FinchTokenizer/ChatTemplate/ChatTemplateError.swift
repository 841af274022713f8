/// Why a chat template could not be parsed or rendered.
public enum ChatTemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Malformed template text (unclosed tag, bad expression, ...).
    case syntax(String, line: Int)
    /// Valid Jinja that this interpreter does not implement, e.g. `{% macro %}` or the filter `xmlattr`.
    case unsupported(construct: String, line: Int)
    /// A failure while rendering: calling a missing method, adding a string to a number, ...
    case runtime(String)
    /// The template itself called `raise_exception(message)` (e.g. roles do not alternate).
    case raised(String)

    public var description: String {
        switch self {
        case .syntax(let message, let line): "chat template syntax error (line \(line)): \(message)"
        case .unsupported(let construct, let line): "chat template uses unsupported Jinja: \(construct)" + (line > 0 ? " (line \(line))" : "")
        case .runtime(let message): "chat template error: \(message)"
        case .raised(let message): "chat template raised: \(message)"
        }
    }
}
