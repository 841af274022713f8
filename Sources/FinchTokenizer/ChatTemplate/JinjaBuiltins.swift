import Foundation

/// Filters, tests, methods and global functions available to templates: the ones HF chat templates use.
enum JinjaBuiltins {
    struct Argument {
        var name: String?
        var value: JinjaValue
    }

    static let globalFunctions: Set<String> = ["raise_exception", "strftime_now", "namespace", "range", "dict"]

    /// Positional argument `index`, or keyword `name`.
    private static func arg(_ args: [Argument], _ index: Int, _ name: String) -> JinjaValue? {
        if let keyword = args.first(where: { $0.name == name }) { return keyword.value }
        let positional = args.filter { $0.name == nil }
        return index >= 0 && index < positional.count ? positional[index].value : nil
    }

    static func string(_ value: JinjaValue, _ what: String) throws -> String {
        guard case .string(let s) = value else {
            throw ChatTemplateError.runtime("\(what) expects a string, got \(value.typeName)")
        }
        return s
    }

    // MARK: Filters

    static func applyFilter(_ name: String, _ value: JinjaValue, _ args: [Argument], interpreter: JinjaInterpreter) throws -> JinjaValue {
        switch name {
        case "trim":
            let chars = arg(args, 0, "chars").flatMap { if case .string(let c) = $0 { c } else { nil } }
            return .string(strip(value.pythonString, chars: chars, leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let items): return .int(items.count)
            case .dict(let dict): return .int(dict.count)
            case .undefined: return .int(0)
            default: throw ChatTemplateError.runtime("object of type '\(value.typeName)' has no len()")
            }
        case "tojson":
            let indent = arg(args, 0, "indent")?.integer
            let sortKeys = arg(args, -1, "sort_keys")?.isTruthy ?? false
            let ascii = arg(args, -1, "ensure_ascii")?.isTruthy ?? false
            var text = value.templateValue.jsonString(indent: indent, sortKeys: sortKeys, asciiOnly: ascii)
            if case .list(let seps)? = arg(args, -1, "separators"), seps.count == 2,
                case .string(let itemSep) = seps[0], case .string(let keySep) = seps[1]
            {
                text = customSeparators(value.templateValue, indent: indent, itemSep: itemSep, keySep: keySep, sortKeys: sortKeys)
            }
            return .string(text)
        case "items":
            switch value {
            case .dict(let dict): return .list(dict.entries.map { .list([.string($0.0), $0.1]) })
            case .undefined: return .list([])
            default: throw ChatTemplateError.runtime("'\(value.typeName)' object has no attribute 'items'")
            }
        case "string": return .string(value.pythonString)
        case "upper": return .string(value.pythonString.uppercased())
        case "lower": return .string(value.pythonString.lowercased())
        case "capitalize": return .string(capitalize(value.pythonString))
        case "title": return .string(title(value.pythonString))
        case "list": return .list(try value.iterationItems())
        case "first": return try value.iterationItems().first ?? .undefined("first")
        case "last": return try value.iterationItems().last ?? .undefined("last")
        case "reverse":
            if case .string(let s) = value { return .string(String(s.reversed())) }
            return .list(try value.iterationItems().reversed())
        case "join":
            let sep = arg(args, 0, "d").map(\.pythonString) ?? ""
            var items = try value.iterationItems()
            if let attribute = arg(args, 1, "attribute") {
                items = try items.map { try interpreter.item($0, attribute, describing: .literal(.null)) }
            }
            return .string(items.map(\.pythonString).joined(separator: sep))
        case "default", "d":
            let fallback = arg(args, 0, "default_value") ?? .string("")
            let boolean = arg(args, 1, "boolean")?.isTruthy ?? false
            return value.isUndefined || (boolean && !value.isTruthy) ? fallback : value
        case "selectattr", "rejectattr":
            guard case .string(let attribute)? = arg(args, 0, "attr") else {
                throw ChatTemplateError.runtime("\(name) needs an attribute name")
            }
            let keep = name == "selectattr"
            return .list(try value.iterationItems().filter { item in
                let field = try interpreter.attribute(item, attribute, describing: .literal(.null))
                return try testArguments(args, from: 1, field) == keep
            })
        case "select", "reject":
            let keep = name == "select"
            return .list(try value.iterationItems().filter { try testArguments(args, from: 0, $0) == keep })
        case "map":
            let items = try value.iterationItems()
            if let attribute = arg(args, -1, "attribute") {
                let fallback = arg(args, -1, "default")
                return .list(try items.map { item in
                    let v = try interpreter.item(item, attribute, describing: .literal(.null))
                    return v.isUndefined ? (fallback ?? v) : v
                })
            }
            guard case .string(let filter)? = arg(args, 0, "") else {
                throw ChatTemplateError.runtime("map needs a filter name or attribute=")
            }
            let rest = Array(args.filter { $0.name == nil }.dropFirst())
            return .list(try items.map { try applyFilter(filter, $0, rest, interpreter: interpreter) })
        case "int":
            switch value {
            case .int(let i): return .int(i)
            case .double(let d): return .int(Int(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s): return .int(Int(s.trimmingCharacters(in: .whitespaces)) ?? Int(Double(s) ?? 0))
            default: return arg(args, 0, "default") ?? .int(0)
            }
        case "float":
            if let n = value.numeric { return .double(n) }
            if case .string(let s) = value, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return arg(args, 0, "default") ?? .double(0)
        case "abs":
            if case .int(let i) = value { return .int(abs(i)) }
            if let n = value.numeric { return .double(abs(n)) }
            throw ChatTemplateError.runtime("bad operand type for abs(): '\(value.typeName)'")
        case "round":
            let precision = arg(args, 0, "precision")?.integer ?? 0
            guard let n = value.numeric else { throw ChatTemplateError.runtime("round expects a number") }
            let scale = pow(10.0, Double(precision))
            return .double((n * scale).rounded(.toNearestOrEven) / scale)
        case "sum":
            return try value.iterationItems().reduce(JinjaValue.int(0)) { try JinjaOperators.apply("+", $0, $1) }
        case "unique":
            var seen: [JinjaValue] = []
            for item in try value.iterationItems() where !seen.contains(where: { $0.equals(item) }) { seen.append(item) }
            return .list(seen)
        case "replace":
            guard let old = arg(args, 0, "old"), let new = arg(args, 1, "new") else {
                throw ChatTemplateError.runtime("replace needs two arguments")
            }
            return try callMethod(.string(value.pythonString), "replace", [Argument(value: old), Argument(value: new)])
        case "safe":
            return value
        case "indent":
            let width = arg(args, 0, "width")?.integer ?? 4
            let first = arg(args, 1, "first")?.isTruthy ?? false
            let pad = String(repeating: " ", count: width)
            let lines = value.pythonString.components(separatedBy: "\n")
            return .string(lines.enumerated().map { i, line in
                (i == 0 && !first) || line.isEmpty ? line : pad + line
            }.joined(separator: "\n"))
        default:
            throw ChatTemplateError.unsupported(construct: "filter '\(name)'", line: 0)
        }
    }

    /// For select/reject/selectattr/rejectattr: the test named at `args[from]` (truthiness when absent).
    private static func testArguments(_ args: [Argument], from index: Int, _ value: JinjaValue) throws -> Bool {
        let positional = args.filter { $0.name == nil }.map(\.value)
        guard index < positional.count else { return value.isTruthy }
        guard case .string(let test) = positional[index] else {
            throw ChatTemplateError.runtime("test name must be a string")
        }
        return try applyTest(test, value, Array(positional.dropFirst(index + 1)))
    }

    private static func customSeparators(_ value: TemplateValue, indent: Int?, itemSep: String, keySep: String, sortKeys: Bool) -> String {
        // Re-serialize with Python's custom separators (rare; no indent support beyond newlines).
        switch value {
        case .array(let items):
            return "[" + items.map { customSeparators($0, indent: indent, itemSep: itemSep, keySep: keySep, sortKeys: sortKeys) }
                .joined(separator: itemSep) + "]"
        case .object(let object):
            let keys = sortKeys ? object.keys.sorted() : object.keys
            return "{" + keys.map { key in
                TemplateValue.string(key).jsonString() + keySep
                    + customSeparators(object[key]!, indent: indent, itemSep: itemSep, keySep: keySep, sortKeys: sortKeys)
            }.joined(separator: itemSep) + "}"
        default:
            return value.jsonString()
        }
    }

    // MARK: Tests

    static func applyTest(_ name: String, _ value: JinjaValue, _ args: [JinjaValue]) throws -> Bool {
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "number": switch value { case .int, .double: return true; default: return false }
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": switch value { case .dict, .namespace: return true; default: return false }
        case "iterable": switch value { case .list, .dict, .string: return true; default: return false }
        case "sequence": switch value { case .list, .dict, .string: return true; default: return false }
        case "callable": if case .function = value { return true } else { return false }
        case "lower": if case .string(let s) = value { return s == s.lowercased() } else { return false }
        case "upper": if case .string(let s) = value { return s == s.uppercased() } else { return false }
        case "odd", "even":
            guard let i = value.integer else { throw ChatTemplateError.runtime("\(name) test expects an integer") }
            return (i % 2 != 0) == (name == "odd")
        case "divisibleby":
            guard let i = value.integer, let d = args.first?.integer, d != 0 else { return false }
            return i % d == 0
        case "equalto", "eq", "==", "sameas": return value.equals(try first(args, name))
        case "ne", "!=": return !value.equals(try first(args, name))
        case "in": return try JinjaOperators.contains(try first(args, name), value)
        case "gt", ">", "greaterthan": return try JinjaOperators.compare(">", value, try first(args, name))
        case "lt", "<", "lessthan": return try JinjaOperators.compare("<", value, try first(args, name))
        case "ge", ">=": return try JinjaOperators.compare(">=", value, try first(args, name))
        case "le", "<=": return try JinjaOperators.compare("<=", value, try first(args, name))
        default: throw ChatTemplateError.unsupported(construct: "test '\(name)'", line: 0)
        }
    }

    private static func first(_ args: [JinjaValue], _ test: String) throws -> JinjaValue {
        guard let value = args.first else { throw ChatTemplateError.runtime("test '\(test)' needs an argument") }
        return value
    }
}
