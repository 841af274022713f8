/// A JSON-like value: chat messages, tool definitions and template variables, and the parsed form
/// of tokenizer.json / tokenizer_config.json. Objects keep their key order (as Python dicts do),
/// which matters for `tojson` and `items()` in chat templates.
public enum TemplateValue: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([TemplateValue])
    case object(TemplateObject)

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [TemplateValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: TemplateObject? { if case .object(let o) = self { o } else { nil } }
    public var isNull: Bool { if case .null = self { true } else { false } }

    /// An integer, also from a double with an integral value (JSON does not distinguish them).
    public var intValue: Int? {
        switch self {
        case .int(let i): i
        case .double(let d) where d.rounded() == d && abs(d) < 9e15: Int(d)
        default: nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .double(let d): d
        default: nil
        }
    }

    /// Member look-up on an object (`nil` for a missing key or a non-object).
    public subscript(key: String) -> TemplateValue? { objectValue?[key] }
}

/// An insertion-ordered string-keyed dictionary of `TemplateValue`s.
public struct TemplateObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public private(set) var keys: [String] = []
    /// Keys compare by scalars, as in Python dicts and JSON (see `ExactKey`).
    private var storage: [ExactKey: TemplateValue] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        for (k, v) in elements { self[k] = v }
    }

    public init(_ pairs: [(String, TemplateValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    /// Key/value pairs in insertion order.
    public var entries: [(key: String, value: TemplateValue)] { keys.map { ($0, storage[ExactKey($0)]!) } }

    public subscript(key: String) -> TemplateValue? {
        get { storage[ExactKey(key)] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: ExactKey(key)) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: ExactKey(key)) != nil {
                keys.removeAll { ExactString.equal($0, key) }
            }
        }
    }

    public static func == (a: TemplateObject, b: TemplateObject) -> Bool {
        a.keys == b.keys && a.storage == b.storage
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        for k in keys { hasher.combine(storage[ExactKey(k)]) }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) { self = .object(TemplateObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}
