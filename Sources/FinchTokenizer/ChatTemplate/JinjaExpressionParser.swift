/// Recursive-descent parser for one expression's tokens, with Jinja's operator precedence (filters
/// and tests bind tighter than arithmetic; `not` looser than comparisons).
struct JinjaExpressionParser {
    private let tokens: [JinjaToken]
    private var pos = 0
    let line: Int
    private var depth = 0

    init(tokens: [JinjaToken], line: Int) {
        self.tokens = tokens
        self.line = line
    }

    var atEnd: Bool { pos >= tokens.count }
    private var current: JinjaToken? { pos < tokens.count ? tokens[pos] : nil }

    private func error(_ message: String) -> ChatTemplateError { .syntax(message, line: line) }

    mutating func consumeOp(_ op: String) -> Bool {
        if current == .op(op) { pos += 1; return true }
        return false
    }

    mutating func consumeName(_ name: String) -> Bool {
        if current == .name(name) { pos += 1; return true }
        return false
    }

    mutating func expectOp(_ op: String) throws {
        guard consumeOp(op) else { throw error("expected '\(op)'\(found)") }
    }

    mutating func expectName(_ name: String) throws {
        guard consumeName(name) else { throw error("expected '\(name)'\(found)") }
    }

    func expectEnd() throws {
        if !atEnd { throw error("unexpected \(describe(tokens[pos])) at end of tag") }
    }

    private var found: String { current.map { ", found \(describe($0))" } ?? ", found end of tag" }

    private func describe(_ token: JinjaToken) -> String {
        switch token {
        case .name(let n): "'\(n)'"
        case .string(let s): "string \"\(s)\""
        case .int(let i): "\(i)"
        case .double(let d): "\(d)"
        case .op(let o): "'\(o)'"
        }
    }

    private mutating func identifier() throws -> String {
        guard case .name(let name)? = current else { throw error("expected a name\(found)") }
        pos += 1
        return name
    }

    mutating func parseComplete() throws -> JinjaExpr {
        let expr = try parseExpression()
        try expectEnd()
        return expr
    }

    mutating func parseTargets() throws -> [String] {
        var names = [try identifier()]
        while consumeOp(",") { names.append(try identifier()) }
        return names
    }

    mutating func parseSetTarget() throws -> JinjaSetTarget {
        let first = try identifier()
        if consumeOp(".") { return .attribute(first, try identifier()) }
        if current == .op(",") {
            var names = [first]
            while consumeOp(",") { names.append(try identifier()) }
            return .tuple(names)
        }
        return .name(first)
    }

    /// `a if cond else b`, or an or-expression.
    mutating func parseExpression(allowConditional: Bool = true) throws -> JinjaExpr {
        depth += 1
        defer { depth -= 1 }
        if depth > 100 { throw error("expression nested too deeply") }
        let expr = try parseOr()
        guard allowConditional, consumeName("if") else { return expr }
        let test = try parseOr()
        let otherwise = consumeName("else") ? try parseExpression() : nil
        return .conditional(test: test, then: expr, otherwise: otherwise)
    }

    private mutating func parseOr() throws -> JinjaExpr {
        var left = try parseAnd()
        while consumeName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws -> JinjaExpr {
        var left = try parseNot()
        while consumeName("and") { left = .and(left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws -> JinjaExpr {
        if consumeName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    private mutating func parseCompare() throws -> JinjaExpr {
        var left = try parseMath1()
        while true {
            if case .op(let op)? = current, ["==", "!=", "<", ">", "<=", ">="].contains(op) {
                pos += 1
                left = .binary(op, left, try parseMath1())
            } else if consumeName("in") {
                left = .binary("in", left, try parseMath1())
            } else if current == .name("not"), pos + 1 < tokens.count, tokens[pos + 1] == .name("in") {
                pos += 2
                left = .binary("notin", left, try parseMath1())
            } else {
                return left
            }
        }
    }

    private mutating func parseMath1() throws -> JinjaExpr {
        var left = try parseConcat()
        while case .op(let op)? = current, op == "+" || op == "-" {
            pos += 1
            left = .binary(op, left, try parseConcat())
        }
        return left
    }

    private mutating func parseConcat() throws -> JinjaExpr {
        var left = try parseMath2()
        while consumeOp("~") { left = .binary("~", left, try parseMath2()) }
        return left
    }

    private mutating func parseMath2() throws -> JinjaExpr {
        var left = try parsePow()
        while case .op(let op)? = current, ["*", "/", "//", "%"].contains(op) {
            pos += 1
            left = .binary(op, left, try parsePow())
        }
        return left
    }

    private mutating func parsePow() throws -> JinjaExpr {
        var left = try parseUnary()
        while consumeOp("**") { left = .binary("**", left, try parseUnary()) }
        return left
    }

    private mutating func parseUnary(withFilter: Bool = true) throws -> JinjaExpr {
        var node: JinjaExpr
        if consumeOp("-") {
            node = .negate(try parseUnary(withFilter: false))
        } else if consumeOp("+") {
            node = try parseUnary(withFilter: false)
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        if withFilter { node = try parseFilterExpr(node) }
        return node
    }

    private mutating func parsePrimary() throws -> JinjaExpr {
        guard let token = current else { throw error("expected an expression, found end of tag") }
        pos += 1
        switch token {
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.null)
            default: return .name(name)
            }
        case .string(var s):
            while case .string(let next)? = current { s += next; pos += 1 }  // adjacent literals concatenate
            return .literal(.string(s))
        case .int(let i): return .literal(.int(i))
        case .double(let d): return .literal(.double(d))
        case .op("("):
            if consumeOp(")") { return .tuple([]) }
            let first = try parseExpression()
            if consumeOp(")") { return first }
            var items = [first]
            while consumeOp(",") {
                if current == .op(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            var items: [JinjaExpr] = []
            while !consumeOp("]") {
                if !items.isEmpty { try expectOp(","); if consumeOp("]") { break } }
                items.append(try parseExpression())
            }
            return .list(items)
        case .op("{"):
            var pairs: [(key: JinjaExpr, value: JinjaExpr)] = []
            while !consumeOp("}") {
                if !pairs.isEmpty { try expectOp(","); if consumeOp("}") { break } }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            return .dict(pairs)
        default:
            throw error("unexpected \(describe(token))")
        }
    }

    private mutating func parsePostfix(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while true {
            if consumeOp(".") {
                if case .int(let i)? = current {
                    pos += 1
                    node = .item(node, .literal(.int(i)))
                } else {
                    node = .attribute(node, try identifier())
                }
            } else if consumeOp("[") {
                node = try parseSubscript(node)
            } else if consumeOp("(") {
                node = .call(node, try parseArguments())
            } else {
                return node
            }
        }
    }

    private mutating func parseSubscript(_ target: JinjaExpr) throws -> JinjaExpr {
        var parts: [JinjaExpr?] = [nil]
        var isSlice = false
        while !consumeOp("]") {
            if consumeOp(":") {
                isSlice = true
                parts.append(nil)
                guard parts.count <= 3 else { throw error("too many ':' in slice") }
                continue
            }
            guard parts[parts.count - 1] == nil else { throw error("expected ']'\(found)") }
            parts[parts.count - 1] = try parseExpression()
        }
        if !isSlice {
            guard let key = parts[0] else { throw error("empty subscript") }
            return .item(target, key)
        }
        while parts.count < 3 { parts.append(nil) }
        return .slice(target, start: parts[0], stop: parts[1], step: parts[2])
    }

    /// Arguments after `(` up to and including `)`.
    private mutating func parseArguments() throws -> [JinjaArgument] {
        var args: [JinjaArgument] = []
        while !consumeOp(")") {
            if !args.isEmpty { try expectOp(","); if consumeOp(")") { break } }
            if case .name(let name)? = current, pos + 1 < tokens.count, tokens[pos + 1] == .op("=") {
                pos += 2
                args.append(JinjaArgument(name: name, value: try parseExpression()))
            } else {
                args.append(JinjaArgument(name: nil, value: try parseExpression()))
            }
        }
        return args
    }

    private mutating func parseFilterExpr(_ start: JinjaExpr) throws -> JinjaExpr {
        var node = start
        while true {
            if consumeOp("|") {
                var name = try identifier()
                while consumeOp(".") { name += "." + (try identifier()) }
                let args = consumeOp("(") ? try parseArguments() : []
                node = .filter(node, name, args)
            } else if consumeName("is") {
                let negated = consumeName("not")
                let name = try identifier()
                var args: [JinjaArgument] = []
                if consumeOp("(") {
                    args = try parseArguments()
                } else if let token = current, startsTestArgument(token) {
                    args = [JinjaArgument(name: nil, value: try parsePostfix(try parsePrimary()))]
                }
                node = .test(node, name, args, negated: negated)
            } else if consumeOp("(") {
                node = .call(node, try parseArguments())
            } else {
                return node
            }
        }
    }

    /// Whether `token` begins the single argument of a test written without parentheses (`is equalto 'x'`).
    private func startsTestArgument(_ token: JinjaToken) -> Bool {
        switch token {
        case .string, .int, .double: true
        case .name(let n): !["and", "or", "else", "if", "in", "not", "is"].contains(n)
        case .op(let o): o == "[" || o == "{"
        }
    }
}
