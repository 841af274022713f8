extension TemplateValue {
    /// Serializes like Python's `json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=sortKeys)`:
    /// separators `", "`/`": "` without indent and `","`/`": "` with it. This is what HF chat templates'
    /// `tojson` produces, so renders match transformers byte for byte.
    public func jsonString(indent: Int? = nil, sortKeys: Bool = false, asciiOnly: Bool = false) -> String {
        var out = ""
        JSONWriter(indent: indent, sortKeys: sortKeys, asciiOnly: asciiOnly).write(self, level: 0, into: &out)
        return out
    }
}

struct JSONWriter {
    var indent: Int?
    var sortKeys: Bool
    var asciiOnly: Bool

    func write(_ value: TemplateValue, level: Int, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Self.pythonFloat(d)
        case .string(let s): Self.writeString(s, asciiOnly: asciiOnly, into: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                newline(level + 1, &out)
                write(item, level: level + 1, into: &out)
            }
            newline(level, &out)
            out += "]"
        case .object(let object):
            if object.isEmpty { out += "{}"; return }
            out += "{"
            let keys = sortKeys ? object.keys.sorted() : object.keys
            for (i, key) in keys.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                newline(level + 1, &out)
                Self.writeString(key, asciiOnly: asciiOnly, into: &out)
                out += ": "
                write(object[key] ?? .null, level: level + 1, into: &out)
            }
            newline(level, &out)
            out += "}"
        }
    }

    private func newline(_ level: Int, _ out: inout String) {
        guard let indent else { return }
        out += "\n"
        out += String(repeating: " ", count: indent * level)
    }

    /// Python `repr(float)` formatting (shortest round-trip digits), with json's NaN/Infinity.
    static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        // Swift's description is also shortest-round-trip; it agrees with Python for the forms
        // "1.5", "100.0", "1e-05" and "1e+16".
        return d.description
    }

    static func writeString(_ s: String, asciiOnly: Bool, into out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (asciiOnly && scalar.value > 0x7E) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += hex4(0xD800 + (v >> 10)) + hex4(0xDC00 + (v & 0x3FF))
                    } else {
                        out += hex4(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ v: UInt32) -> String {
        let digits = String(v, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
