import Foundation

extension JinjaBuiltins {
    // MARK: Methods (Python str/dict methods templates call)

    static func callMethod(_ object: JinjaValue, _ method: String, _ args: [Argument]) throws -> JinjaValue {
        let positional = args.map(\.value)
        func argString(_ i: Int) throws -> String? {
            guard i < positional.count else { return nil }
            if case .none = positional[i] { return nil }
            return try string(positional[i], "\(method)()")
        }
        switch object {
        case .string(let s):
            switch method {
            case "strip": return .string(strip(s, chars: try argString(0), leading: true, trailing: true))
            case "lstrip": return .string(strip(s, chars: try argString(0), leading: true, trailing: false))
            case "rstrip": return .string(strip(s, chars: try argString(0), leading: false, trailing: true))
            case "upper": return .string(s.uppercased())
            case "lower": return .string(s.lowercased())
            case "title": return .string(title(s))
            case "capitalize": return .string(capitalize(s))
            case "startswith", "endswith":
                let candidates: [JinjaValue]
                if case .list(let items)? = positional.first { candidates = items } else { candidates = Array(positional.prefix(1)) }
                for candidate in candidates {
                    let p = try string(candidate, "\(method)()")
                    if method == "startswith" ? s.unicodeScalars.starts(with: p.unicodeScalars)
                        : s.unicodeScalars.reversed().starts(with: p.unicodeScalars.reversed())
                    {
                        return .bool(true)
                    }
                }
                return .bool(false)
            case "split":
                let maxSplit = positional.count > 1 ? (positional[1].integer ?? -1) : -1
                return .list(split(s, separator: try argString(0), maxSplit: maxSplit).map { .string($0) })
            case "replace":
                guard let old = try argString(0), let new = try argString(1) else {
                    throw ChatTemplateError.runtime("replace() needs two string arguments")
                }
                let count = positional.count > 2 ? (positional[2].integer ?? -1) : -1
                return .string(replace(s, old, new, count: count))
            case "find":
                guard let needle = try argString(0) else { throw ChatTemplateError.runtime("find() needs an argument") }
                return .int(ExactString.find(s, needle))
            case "count":
                guard let needle = try argString(0), !needle.isEmpty else { return .int(s.unicodeScalars.count + 1) }
                return .int(ExactString.occurrences(of: Array(needle.utf8), in: Array(s.utf8)).count)
            case "join":
                return .string(try (positional.first ?? .list([])).iterationItems().map(\.pythonString).joined(separator: s))
            case "splitlines":
                return .list(s.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { .string(String($0)) }
                    .dropLast(s.hasSuffix("\n") ? 1 : 0))
            case "isdigit": return .bool(!s.isEmpty && s.allSatisfy(\.isNumber))
            case "isalpha": return .bool(!s.isEmpty && s.allSatisfy(\.isLetter))
            case "isspace": return .bool(!s.isEmpty && s.allSatisfy(\.isWhitespace))
            default: break
            }
        case .dict(let dict):
            switch method {
            case "items": return .list(dict.entries.map { .list([.string($0.0), $0.1]) })
            case "keys": return .list(dict.keys.map { .string($0) })
            case "values": return .list(dict.entries.map(\.1))
            case "get":
                guard let key = positional.first else { throw ChatTemplateError.runtime("get() needs a key") }
                return dict[key.pythonString] ?? (positional.count > 1 ? positional[1] : .none)
            default: break
            }
        default: break
        }
        throw ChatTemplateError.runtime("'\(object.typeName)' object has no method '\(method)'")
    }

    // MARK: Globals

    static func callGlobal(_ name: String, _ args: [Argument], interpreter: JinjaInterpreter) throws -> JinjaValue {
        switch name {
        case "raise_exception":
            throw ChatTemplateError.raised(args.first?.value.pythonString ?? "")
        case "strftime_now":
            guard case .string(let format)? = args.first?.value else {
                throw ChatTemplateError.runtime("strftime_now needs a format string")
            }
            return .string(strftime(format, interpreter.now))
        case "namespace", "dict":
            var values = JinjaDict()
            for a in args {
                if let key = a.name {
                    values[key] = a.value
                } else if case .dict(let d) = a.value {
                    for (k, v) in d.entries { values[k] = v }
                }
            }
            return name == "namespace" ? .namespace(JinjaNamespace(values)) : .dict(values)
        case "range":
            let ints = args.map { $0.value.integer ?? 0 }
            let (start, stop, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints.count > 1 ? ints[1] : 0, ints.count > 2 ? ints[2] : 1)
            guard step != 0 else { throw ChatTemplateError.runtime("range() step must not be zero") }
            guard abs(stop - start) / abs(step) <= 1_000_000 else { throw ChatTemplateError.runtime("range() is too large") }
            return .list(stride(from: start, to: stop, by: step).map { .int($0) })
        default:
            throw ChatTemplateError.runtime("'\(name)' is not callable")
        }
    }

    // MARK: Python string helpers

    static func strip(_ s: String, chars: String?, leading: Bool, trailing: Bool) -> String {
        let remove: (Unicode.Scalar) -> Bool
        if let chars {
            let set = Set(chars.unicodeScalars)
            remove = { set.contains($0) }
        } else {
            remove = { $0.properties.isWhitespace || ($0.value >= 0x1C && $0.value <= 0x1F) }
        }
        var scalars = Array(s.unicodeScalars)[...]
        if leading { while let f = scalars.first, remove(f) { scalars = scalars.dropFirst() } }
        if trailing { while let l = scalars.last, remove(l) { scalars = scalars.dropLast() } }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        return String(view)
    }

    static func split(_ s: String, separator: String?, maxSplit: Int) -> [String] {
        guard let separator, !separator.isEmpty else {
            // Whitespace split: runs of whitespace, no empty strings.
            var parts: [String] = []
            var current = ""
            var rest = Substring(s)
            while let c = rest.first {
                if c.isWhitespace {
                    if !current.isEmpty {
                        parts.append(current)
                        current = ""
                        if maxSplit >= 0 && parts.count == maxSplit {
                            let tail = rest.drop(while: \.isWhitespace)
                            if !tail.isEmpty { parts.append(String(tail)) }
                            return parts
                        }
                    }
                } else {
                    current.append(c)
                }
                rest = rest.dropFirst()
            }
            if !current.isEmpty { parts.append(current) }
            return parts
        }
        return ExactString.split(s, separator: separator, maxSplit: maxSplit)
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        ExactString.replace(s, old, with: new, count: count)
    }

    static func capitalize(_ s: String) -> String {
        guard let first = s.first else { return s }
        return first.uppercased() + s.dropFirst().lowercased()
    }

    /// Python `str.title()`: uppercase after any non-letter, lowercase elsewhere.
    static func title(_ s: String) -> String {
        var out = ""
        var previousIsLetter = false
        for c in s {
            out += previousIsLetter ? c.lowercased() : c.uppercased()
            previousIsLetter = c.isLetter
        }
        return out
    }

    /// The subset of C `strftime` that chat templates use, in UTC.
    static func strftime(_ format: String, _ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let days = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        func two(_ v: Int?) -> String { let v = v ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        var out = ""
        var chars = format.makeIterator()
        while let ch = chars.next() {
            guard ch == "%" else { out.append(ch); continue }
            guard let spec = chars.next() else { out.append("%"); break }
            let month = (c.month ?? 1) - 1, weekday = (c.weekday ?? 1) - 1
            switch spec {
            case "d": out += two(c.day)
            case "m": out += two(c.month)
            case "Y": out += String(c.year ?? 0)
            case "y": out += two((c.year ?? 0) % 100)
            case "b": out += String(months[month].prefix(3))
            case "B": out += months[month]
            case "a": out += String(days[weekday].prefix(3))
            case "A": out += days[weekday]
            case "H": out += two(c.hour)
            case "M": out += two(c.minute)
            case "S": out += two(c.second)
            case "-":
                if let next = chars.next() {
                    switch next {
                    case "d": out += String(c.day ?? 0)
                    case "m": out += String(c.month ?? 0)
                    default: out += "%-" + String(next)
                    }
                }
            case "%": out += "%"
            default: out += "%" + String(spec)
            }
        }
        return out
    }
}
