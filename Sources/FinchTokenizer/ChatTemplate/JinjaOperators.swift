import Foundation

/// Binary operators with Python semantics.
enum JinjaOperators {
    static func apply(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws -> JinjaValue {
        switch op {
        case "==": return .bool(l.equals(r))
        case "!=": return .bool(!l.equals(r))
        case "~": return .string(l.pythonString + r.pythonString)
        case "in": return .bool(try contains(r, l))
        case "notin": return .bool(!(try contains(r, l)))
        case "<", ">", "<=", ">=": return .bool(try compare(op, l, r))
        default: break
        }
        if case .undefined(let what) = l { throw ChatTemplateError.runtime("'\(what)' is undefined (operator \(op))") }
        if case .undefined(let what) = r { throw ChatTemplateError.runtime("'\(what)' is undefined (operator \(op))") }
        if op == "*", let n = r.integer ?? l.integer, n > 0 {
            let unit: Int
            switch (l, r) {
            case (.string(let s), _), (_, .string(let s)): unit = s.utf8.count
            case (.list(let items), _), (_, .list(let items)): unit = items.count
            default: unit = 0
            }
            if unit > 0 && n > 10_000_000 / unit { throw ChatTemplateError.runtime("repetition result is too large") }
        }
        switch (op, l, r) {
        case ("+", .string(let a), .string(let b)): return .string(a + b)
        case ("+", .list(let a), .list(let b)): return .list(a + b)
        case ("*", .string(let s), _) where r.integer != nil: return .string(String(repeating: s, count: max(0, r.integer!)))
        case ("*", .list(let items), _) where r.integer != nil:
            return .list(Array([[JinjaValue]](repeating: items, count: max(0, r.integer!)).joined()))
        default: break
        }
        if let a = l.integer, let b = r.integer {
            switch op {
            case "+": return .int(a &+ b)
            case "-": return .int(a &- b)
            case "*": return .int(a &* b)
            case "/":
                guard b != 0 else { throw ChatTemplateError.runtime("division by zero") }
                return .double(Double(a) / Double(b))
            case "//":
                guard b != 0 else { throw ChatTemplateError.runtime("integer division by zero") }
                return .int(Int((Double(a) / Double(b)).rounded(.down)))
            case "%":
                guard b != 0 else { throw ChatTemplateError.runtime("modulo by zero") }
                let m = a % b
                return .int(m != 0 && (m < 0) != (b < 0) ? m + b : m)
            case "**":
                if b >= 0 {
                    if a == 0 { return .int(b == 0 ? 1 : 0) }
                    if a == 1 { return .int(1) }
                    if a == -1 { return .int(b % 2 == 0 ? 1 : -1) }
                    var result = 1
                    for _ in 0..<b {  // |a| >= 2 overflows within 63 steps
                        let (next, overflow) = result.multipliedReportingOverflow(by: a)
                        if overflow { return .double(pow(Double(a), Double(b))) }
                        result = next
                    }
                    return .int(result)
                }
                return .double(pow(Double(a), Double(b)))
            default: break
            }
        }
        if let a = l.numeric, let b = r.numeric {
            switch op {
            case "+": return .double(a + b)
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "/":
                guard b != 0 else { throw ChatTemplateError.runtime("division by zero") }
                return .double(a / b)
            case "//":
                guard b != 0 else { throw ChatTemplateError.runtime("division by zero") }
                return .double((a / b).rounded(.down))
            case "%":
                guard b != 0 else { throw ChatTemplateError.runtime("modulo by zero") }
                let m = a.truncatingRemainder(dividingBy: b)
                return .double(m != 0 && (m < 0) != (b < 0) ? m + b : m)
            case "**": return .double(pow(a, b))
            default: break
            }
        }
        if op == "%", case .string = l {
            throw ChatTemplateError.unsupported(construct: "printf-style string formatting with %", line: 0)
        }
        throw ChatTemplateError.runtime("unsupported operand type(s) for \(op): '\(l.typeName)' and '\(r.typeName)'")
    }

    /// `needle in haystack`
    static func contains(_ haystack: JinjaValue, _ needle: JinjaValue) throws -> Bool {
        switch haystack {
        case .string(let s):
            guard case .string(let n) = needle else {
                throw ChatTemplateError.runtime("'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return ExactString.contains(s, n)
        case .list(let items): return items.contains { $0.equals(needle) }
        case .dict(let dict): return dict[needle.pythonString] != nil && { if case .string = needle { true } else { false } }()
        case .namespace(let ns): return ns.values[needle.pythonString] != nil
        case .undefined(let what): throw ChatTemplateError.runtime("'\(what)' is undefined (operator in)")
        default: throw ChatTemplateError.runtime("argument of type '\(haystack.typeName)' is not iterable")
        }
    }

    static func compare(_ op: String, _ l: JinjaValue, _ r: JinjaValue) throws -> Bool {
        let order: Int
        if let a = l.numeric, let b = r.numeric {
            order = a < b ? -1 : a > b ? 1 : 0
        } else if case .string(let a) = l, case .string(let b) = r {
            // Python compares strings by code point.
            let x = Array(a.unicodeScalars).map(\.value), y = Array(b.unicodeScalars).map(\.value)
            order = x.lexicographicallyPrecedes(y) ? -1 : x == y ? 0 : 1
        } else {
            throw ChatTemplateError.runtime("'\(op)' not supported between '\(l.typeName)' and '\(r.typeName)'")
        }
        switch op {
        case "<": return order < 0
        case ">": return order > 0
        case "<=": return order <= 0
        default: return order >= 0
        }
    }
}
