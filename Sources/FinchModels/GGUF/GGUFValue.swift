/// One GGUF metadata value. Integer and float widths are kept as written in the file;
/// use the widening accessors (`intValue`, `doubleValue`) when the width does not matter.
public indirect enum GGUFValue: Sendable, Hashable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case uint64(UInt64)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    case bool(Bool)
    case string(String)
    /// An array; GGUF arrays are homogeneous (every element has the same value type).
    case array([GGUFValue])

    /// Any integer value widened to `Int` (`nil` for non-integers or a `UInt64` above `Int.max`).
    public var intValue: Int? {
        switch self {
        case .uint8(let v): Int(v)
        case .int8(let v): Int(v)
        case .uint16(let v): Int(v)
        case .int16(let v): Int(v)
        case .uint32(let v): Int(v)
        case .int32(let v): Int(v)
        case .uint64(let v): v <= UInt64(Int.max) ? Int(v) : nil
        case .int64(let v): Int(v)
        default: nil
        }
    }

    /// Any float or integer value as a `Double`.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): Double(v)
        case .float64(let v): v
        default: intValue.map(Double.init)
        }
    }

    public var boolValue: Bool? { if case .bool(let v) = self { v } else { nil } }
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }
    public var arrayValue: [GGUFValue]? { if case .array(let v) = self { v } else { nil } }

    /// The GGUF type name (`uint32`, `string`, `array`, ...), used in error messages.
    public var typeName: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .uint16: "uint16"
        case .int16: "int16"
        case .uint32: "uint32"
        case .int32: "int32"
        case .uint64: "uint64"
        case .int64: "int64"
        case .float32: "float32"
        case .float64: "float64"
        case .bool: "bool"
        case .string: "string"
        case .array: "array"
        }
    }
}

/// The key/value metadata of a GGUF file, in file order, with typed look-ups.
public struct GGUFMetadata: Sendable {
    /// Keys in the order they appear in the file.
    public let keys: [String]
    private let values: [String: GGUFValue]

    init(entries: [(String, GGUFValue)]) throws {
        var keys: [String] = []
        var values: [String: GGUFValue] = [:]
        keys.reserveCapacity(entries.count)
        for (key, value) in entries {
            if values.updateValue(value, forKey: key) != nil {
                throw GGUFError.malformed("duplicate metadata key '\(key)'")
            }
            keys.append(key)
        }
        self.keys = keys
        self.values = values
    }

    public subscript(key: String) -> GGUFValue? { values[key] }
    public var count: Int { keys.count }

    public func string(_ key: String) -> String? { values[key]?.stringValue }
    public func int(_ key: String) -> Int? { values[key]?.intValue }
    public func double(_ key: String) -> Double? { values[key]?.doubleValue }
    public func bool(_ key: String) -> Bool? { values[key]?.boolValue }

    /// A string array, or `nil` when the key is missing or any element is not a string.
    public func stringArray(_ key: String) -> [String]? {
        guard let items = values[key]?.arrayValue else { return nil }
        var out: [String] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let s = item.stringValue else { return nil }
            out.append(s)
        }
        return out
    }

    /// An integer array (any width), or `nil` when missing or not all integers.
    public func intArray(_ key: String) -> [Int]? {
        guard let items = values[key]?.arrayValue else { return nil }
        var out: [Int] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.intValue else { return nil }
            out.append(v)
        }
        return out
    }

    /// A numeric array as `Double`s, or `nil` when missing or not all numbers.
    public func doubleArray(_ key: String) -> [Double]? {
        guard let items = values[key]?.arrayValue else { return nil }
        var out: [Double] = []
        out.reserveCapacity(items.count)
        for item in items {
            guard let v = item.doubleValue else { return nil }
            out.append(v)
        }
        return out
    }

    /// Like `string(_:)` but throws `GGUFError.missingMetadata` when absent.
    public func requireString(_ key: String) throws -> String {
        guard let v = string(key) else { throw GGUFError.missingMetadata(key: key, expected: "a string") }
        return v
    }

    /// Like `int(_:)` but throws `GGUFError.missingMetadata` when absent.
    public func requireInt(_ key: String) throws -> Int {
        guard let v = int(key) else { throw GGUFError.missingMetadata(key: key, expected: "an integer") }
        return v
    }
}
