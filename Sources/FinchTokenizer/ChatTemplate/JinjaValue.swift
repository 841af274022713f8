/// A mutable attribute bag created by `namespace()`; shared by reference, as in Jinja.
final class JinjaNamespace {
    var values: JinjaDict
    init(_ values: JinjaDict) { self.values = values }
}

/// An insertion-ordered dictionary of runtime values.
struct JinjaDict {
    private(set) var keys: [String] = []
    private var storage: [ExactKey: JinjaValue] = [:]

    init() {}

    subscript(key: String) -> JinjaValue? {
        get { storage[ExactKey(key)] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: ExactKey(key)) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: ExactKey(key)) != nil {
                keys.removeAll { ExactString.equal($0, key) }
            }
        }
    }

    var count: Int { keys.count }
    var entries: [(String, JinjaValue)] { keys.map { ($0, storage[ExactKey($0)]!) } }
}

/// A value while a template renders: JSON-like data plus Jinja's undefined, namespaces and functions.
indirect enum JinjaValue {
    /// A missing variable or attribute; carries its name for error messages.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([JinjaValue])
    case dict(JinjaDict)
    case namespace(JinjaNamespace)
    /// A global function such as `raise_exception`, by name.
    case function(String)

    init(_ value: TemplateValue) {
        switch value {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(JinjaValue.init))
        case .object(let object):
            var dict = JinjaDict()
            for (k, v) in object.entries { dict[k] = JinjaValue(v) }
            self = .dict(dict)
        }
    }

    /// Back to JSON-like data (for `tojson`); undefined becomes null, functions their name.
    var templateValue: TemplateValue {
        switch self {
        case .undefined, .none: .null
        case .bool(let b): .bool(b)
        case .int(let i): .int(i)
        case .double(let d): .double(d)
        case .string(let s): .string(s)
        case .list(let items): .array(items.map(\.templateValue))
        case .dict(let dict): .object(TemplateObject(dict.entries.map { ($0.0, $0.1.templateValue) }))
        case .namespace(let ns): .object(TemplateObject(ns.values.entries.map { ($0.0, $0.1.templateValue) }))
        case .function(let name): .string(name)
        }
    }

    var isUndefined: Bool { if case .undefined = self { true } else { false } }

    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let items): !items.isEmpty
        case .dict(let dict): dict.count > 0
        case .namespace, .function: true
        }
    }

    /// Python type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .dict: "dict"
        case .namespace: "Namespace"
        case .function: "function"
        }
    }

    /// `str(value)` as Python/Jinja print it.
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr
        }
    }

    /// `repr(value)`: how values nested in lists and dicts print.
    var pythonRepr: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return "nan" }
            if d.isInfinite { return d < 0 ? "-inf" : "inf" }
            return JSONWriter.pythonFloat(d)
        case .string(let s): return Self.pythonQuoted(s)
        case .list(let items): return "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let dict):
            return "{" + dict.entries.map { Self.pythonQuoted($0.0) + ": " + $0.1.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let ns):
            return "<Namespace " + ns.values.entries.map { Self.pythonQuoted($0.0) + ": " + $0.1.pythonRepr }.joined(separator: ", ") + ">"
        case .function(let name): return "<function \(name)>"
        }
    }

    /// Python's string repr: single quotes unless the text has a single quote and no double quote.
    static func pythonQuoted(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote {
                    out += "\\" + String(quote)
                } else if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append(quote)
        return out
    }

    /// Python `==` (1 == 1.0, structural equality of lists and dicts).
    func equals(_ other: JinjaValue) -> Bool {
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.string(let a), .string(let b)): return ExactString.equal(a, b)
        case (.list(let a), .list(let b)): return a.count == b.count && zip(a, b).allSatisfy { $0.equals($1) }
        case (.dict(let a), .dict(let b)):
            return a.count == b.count && a.entries.allSatisfy { key, value in b[key].map { value.equals($0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        case (.function(let a), .function(let b)): return a == b
        default:
            if let a = numeric, let b = other.numeric { return a == b }
            return false
        }
    }

    /// Numeric value of ints, floats and bools (Python treats bools as ints).
    var numeric: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Integer value of ints and bools.
    var integer: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// Items when iterated: list elements, dict keys, string characters; undefined/none iterate as empty.
    func iterationItems() throws -> [JinjaValue] {
        switch self {
        case .list(let items): return items
        case .dict(let dict): return dict.keys.map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        case .undefined: return []
        default: throw ChatTemplateError.runtime("'\(typeName)' object is not iterable")
        }
    }
}
