import Foundation

/// Renders parsed template nodes against a context.
final class JinjaInterpreter {
    private var scopes: [[String: JinjaValue]]
    private var output = ""
    let now: Date
    /// Renders stop growing past this many characters (a runaway template is an error, not an OOM).
    private let maxOutput = 50_000_000
    /// Loop iterations allowed per render (a runaway template is an error, not a hang).
    private var iterationBudget = 10_000_000

    private enum Flow { case normal, breakLoop, continueLoop }

    init(context: [String: JinjaValue], now: Date) {
        self.scopes = [context]
        self.now = now
    }

    func render(_ nodes: [JinjaNode]) throws -> String {
        _ = try execute(nodes)
        return output
    }

    // MARK: Statements

    private func execute(_ nodes: [JinjaNode]) throws -> Flow {
        for node in nodes {
            let flow = try execute(node)
            if flow != .normal { return flow }
        }
        return .normal
    }

    private func execute(_ node: JinjaNode) throws -> Flow {
        switch node {
        case .text(let text):
            output += text
        case .output(let expr):
            output += try evaluate(expr).pythonString
            if output.utf8.count > maxOutput { throw ChatTemplateError.runtime("rendered output is too large") }
        case .ifChain(let branches, let otherwise):
            for branch in branches where try evaluate(branch.test).isTruthy {
                return try execute(branch.body)
            }
            return try execute(otherwise)
        case .forLoop(let targets, let iterable, let filter, let body, let otherwise):
            return try executeFor(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise)
        case .set(let target, let expr):
            try assign(target, try evaluate(expr))
        case .setBlock(let target, let body):
            let saved = output
            output = ""
            _ = try execute(body)
            let captured = output
            output = saved
            try assign(target, .string(captured))
        case .breakLoop:
            return .breakLoop
        case .continueLoop:
            return .continueLoop
        }
        return .normal
    }

    private func assign(_ target: JinjaSetTarget, _ value: JinjaValue) throws {
        switch target {
        case .name(let name):
            scopes[scopes.count - 1][name] = value
        case .tuple(let names):
            let items = try unpack(value, count: names.count)
            for (name, item) in zip(names, items) { scopes[scopes.count - 1][name] = item }
        case .attribute(let name, let attribute):
            guard case .namespace(let ns) = lookup(name) else {
                throw ChatTemplateError.runtime("cannot assign attribute '\(attribute)' on '\(name)', which is not a namespace")
            }
            ns.values[attribute] = value
        }
    }

    private func unpack(_ value: JinjaValue, count: Int) throws -> [JinjaValue] {
        let items = try value.iterationItems()
        guard items.count == count else {
            throw ChatTemplateError.runtime("cannot unpack \(items.count) values into \(count) names")
        }
        return items
    }

    private func executeFor(
        targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode]
    ) throws -> Flow {
        var items = try evaluate(iterable).iterationItems()
        func bind(_ item: JinjaValue, into scope: inout [String: JinjaValue]) throws {
            if targets.count == 1 {
                scope[targets[0]] = item
            } else {
                for (name, value) in zip(targets, try unpack(item, count: targets.count)) { scope[name] = value }
            }
        }
        if let filter {
            items = try items.filter { item in
                var scope: [String: JinjaValue] = [:]
                try bind(item, into: &scope)
                scopes.append(scope)
                defer { scopes.removeLast() }
                return try evaluate(filter).isTruthy
            }
        }
        if items.isEmpty { return try execute(otherwise) }
        let n = items.count
        for (i, item) in items.enumerated() {
            iterationBudget -= 1
            if iterationBudget < 0 { throw ChatTemplateError.runtime("template loops run too long") }
            var scope: [String: JinjaValue] = [:]
            var loop = JinjaDict()
            loop["index"] = .int(i + 1)
            loop["index0"] = .int(i)
            loop["revindex"] = .int(n - i)
            loop["revindex0"] = .int(n - i - 1)
            loop["first"] = .bool(i == 0)
            loop["last"] = .bool(i == n - 1)
            loop["length"] = .int(n)
            loop["depth"] = .int(1)
            loop["depth0"] = .int(0)
            loop["previtem"] = i > 0 ? items[i - 1] : .undefined("loop.previtem")
            loop["nextitem"] = i + 1 < n ? items[i + 1] : .undefined("loop.nextitem")
            scope["loop"] = .dict(loop)
            try bind(item, into: &scope)
            scopes.append(scope)
            let flow = try execute(body)
            scopes.removeLast()
            if flow == .breakLoop { break }
        }
        return .normal
    }

    // MARK: Expressions

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        if JinjaBuiltins.globalFunctions.contains(name) { return .function(name) }
        return .undefined(name)
    }

    func evaluate(_ expr: JinjaExpr) throws -> JinjaValue {
        switch expr {
        case .literal(let value):
            return JinjaValue(value)
        case .name(let name):
            return lookup(name)
        case .list(let items), .tuple(let items):
            return .list(try items.map(evaluate))
        case .dict(let pairs):
            var dict = JinjaDict()
            for pair in pairs { dict[try evaluate(pair.key).pythonString] = try evaluate(pair.value) }
            return .dict(dict)
        case .attribute(let target, let name):
            return try attribute(try evaluate(target), name, describing: target)
        case .item(let target, let key):
            return try item(try evaluate(target), try evaluate(key), describing: target)
        case .slice(let target, let start, let stop, let step):
            return try slice(
                try evaluate(target), start.map(evaluate), stop.map(evaluate), step.map(evaluate))
        case .call(let callee, let args):
            let values = try args.map { JinjaBuiltins.Argument(name: $0.name, value: try evaluate($0.value)) }
            if case .attribute(let target, let method) = callee {
                let object = try evaluate(target)
                if case .undefined(let what) = object { throw ChatTemplateError.runtime("'\(what)' is undefined") }
                return try JinjaBuiltins.callMethod(object, method, values)
            }
            let function = try evaluate(callee)
            guard case .function(let name) = function else {
                throw ChatTemplateError.runtime("'\(function.typeName)' object is not callable")
            }
            return try JinjaBuiltins.callGlobal(name, values, interpreter: self)
        case .filter(let target, let name, let args):
            let value = try evaluate(target)
            let values = try args.map { JinjaBuiltins.Argument(name: $0.name, value: try evaluate($0.value)) }
            return try JinjaBuiltins.applyFilter(name, value, values, interpreter: self)
        case .test(let target, let name, let args, let negated):
            let value = try evaluate(target)
            let values = try args.map { try evaluate($0.value) }
            let result = try JinjaBuiltins.applyTest(name, value, values)
            return .bool(negated ? !result : result)
        case .not(let inner):
            return .bool(!(try evaluate(inner).isTruthy))
        case .negate(let inner):
            switch try evaluate(inner) {
            case .int(let i): return .int(-i)
            case .double(let d): return .double(-d)
            case .bool(let b): return .int(b ? -1 : 0)
            case let other: throw ChatTemplateError.runtime("bad operand type for unary -: '\(other.typeName)'")
            }
        case .and(let left, let right):
            let l = try evaluate(left)
            return l.isTruthy ? try evaluate(right) : l
        case .or(let left, let right):
            let l = try evaluate(left)
            return l.isTruthy ? l : try evaluate(right)
        case .conditional(let test, let then, let otherwise):
            if try evaluate(test).isTruthy { return try evaluate(then) }
            return try otherwise.map(evaluate) ?? .undefined("conditional")
        case .binary(let op, let left, let right):
            return try JinjaOperators.apply(op, try evaluate(left), try evaluate(right))
        }
    }

    /// `obj.name`: a dict key or namespace attribute; anything else is undefined (as in Jinja).
    func attribute(_ value: JinjaValue, _ name: String, describing expr: JinjaExpr) throws -> JinjaValue {
        switch value {
        case .undefined(let what): throw ChatTemplateError.runtime("'\(what)' is undefined (reading .\(name))")
        case .dict(let dict): return dict[name] ?? .undefined(name)
        case .namespace(let ns): return ns.values[name] ?? .undefined(name)
        default: return .undefined(name)
        }
    }

    /// `obj[key]`: dict key, list/string index (negative from the end); missing is undefined.
    func item(_ value: JinjaValue, _ key: JinjaValue, describing expr: JinjaExpr) throws -> JinjaValue {
        switch (value, key) {
        case (.undefined(let what), _):
            throw ChatTemplateError.runtime("'\(what)' is undefined (reading [\(key.pythonRepr)])")
        case (.dict(let dict), .string(let k)): return dict[k] ?? .undefined(k)
        case (.dict(let dict), _): return dict[key.pythonString] ?? .undefined(key.pythonString)
        case (.namespace(let ns), .string(let k)): return ns.values[k] ?? .undefined(k)
        case (.list(let items), _):
            guard let i = key.integer else { return .undefined("[\(key.pythonRepr)]") }
            let index = i < 0 ? items.count + i : i
            return items.indices.contains(index) ? items[index] : .undefined("[\(i)]")
        case (.string(let s), _):
            guard let i = key.integer else { return .undefined("[\(key.pythonRepr)]") }
            let scalars = Array(s.unicodeScalars)
            let index = i < 0 ? scalars.count + i : i
            return scalars.indices.contains(index) ? .string(String(scalars[index])) : .undefined("[\(i)]")
        default:
            return .undefined("[\(key.pythonRepr)]")
        }
    }

    /// Python slicing of lists and strings, including negative and stepped slices.
    func slice(_ value: JinjaValue, _ start: JinjaValue?, _ stop: JinjaValue?, _ step: JinjaValue?) throws -> JinjaValue {
        func indices(count: Int) throws -> [Int] {
            let stepValue = step.flatMap(\.integer) ?? 1
            guard stepValue != 0 else { throw ChatTemplateError.runtime("slice step cannot be zero") }
            func clamp(_ v: JinjaValue?, _ defaultValue: Int) -> Int {
                guard let raw = v?.integer else { return defaultValue }
                var i = raw < 0 ? raw + count : raw
                if stepValue > 0 { i = min(max(i, 0), count) } else { i = min(max(i, -1), count - 1) }
                return i
            }
            let from = clamp(start, stepValue > 0 ? 0 : count - 1)
            let to = clamp(stop, stepValue > 0 ? count : -1)
            return Array(stride(from: from, to: to, by: stepValue))
        }
        switch value {
        case .list(let items): return .list(try indices(count: items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var view = String.UnicodeScalarView()
            for i in try indices(count: scalars.count) { view.append(scalars[i]) }
            return .string(String(view))
        case .undefined(let what): throw ChatTemplateError.runtime("'\(what)' is undefined (slicing)")
        default: throw ChatTemplateError.runtime("'\(value.typeName)' object is not subscriptable")
        }
    }
}
