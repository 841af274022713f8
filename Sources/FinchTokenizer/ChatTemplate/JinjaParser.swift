/// Parses template pieces into statements, and expression tokens into `JinjaExpr` trees with Jinja's
/// operator precedence (filters and tests bind tighter than arithmetic; `not` looser than comparisons).
struct JinjaParser {
    private let pieces: [TemplatePiece]
    private var index = 0
    /// Block nesting depth, limited so a hostile template cannot overflow the stack.
    private var depth = 0
    private static let maxDepth = 200

    init(pieces: [TemplatePiece]) { self.pieces = pieces }

    /// Statement keywords that we know are Jinja but do not implement.
    private static let unsupportedStatements: Set<String> = [
        "macro", "call", "filter", "include", "import", "from", "extends", "block", "with", "raw", "autoescape", "do",
    ]

    mutating func parseTemplate() throws -> [JinjaNode] {
        let (nodes, end) = try parseBody(until: [])
        if let end { throw ChatTemplateError.syntax("unexpected '{% \(end.keyword) %}'", line: end.line) }
        return nodes
    }

    /// Parses nodes until a statement whose keyword is in `terminators`; returns it (with its remaining tokens).
    private mutating func parseBody(until terminators: Set<String>) throws
        -> ([JinjaNode], (keyword: String, tokens: ArraySlice<JinjaToken>, line: Int)?)
    {
        var nodes: [JinjaNode] = []
        while index < pieces.count {
            let piece = pieces[index]
            index += 1
            switch piece {
            case .text(let text):
                nodes.append(.text(text))
            case .output(let tokens, let line):
                var p = JinjaExpressionParser(tokens: tokens, line: line)
                nodes.append(.output(try p.parseComplete()))
            case .statement(let tokens, let line):
                guard case .name(let keyword)? = tokens.first else {
                    throw ChatTemplateError.syntax("expected a statement name after '{%'", line: line)
                }
                let rest = tokens.dropFirst()
                if terminators.contains(keyword) { return (nodes, (keyword, rest, line)) }
                nodes.append(try parseStatement(keyword, rest, line: line))
            }
        }
        if !terminators.isEmpty {
            throw ChatTemplateError.syntax("missing '{% \(terminators.sorted().joined(separator: " / ")) %}' at end of template", line: 0)
        }
        return (nodes, nil)
    }

    private mutating func parseStatement(_ keyword: String, _ tokens: ArraySlice<JinjaToken>, line: Int) throws -> JinjaNode {
        depth += 1
        defer { depth -= 1 }
        if depth > Self.maxDepth { throw ChatTemplateError.syntax("blocks nested deeper than \(Self.maxDepth)", line: line) }
        switch keyword {
        case "if":
            var p = JinjaExpressionParser(tokens: Array(tokens), line: line)
            var branches: [(test: JinjaExpr, body: [JinjaNode])] = []
            var test = try p.parseComplete()
            var otherwise: [JinjaNode] = []
            while true {
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((test, body))
                guard let end else { break }
                if end.keyword == "elif" {
                    var q = JinjaExpressionParser(tokens: Array(end.tokens), line: end.line)
                    test = try q.parseComplete()
                    continue
                }
                if end.keyword == "else" {
                    let (elseBody, _) = try parseBody(until: ["endif"])
                    otherwise = elseBody
                }
                break
            }
            return .ifChain(branches: branches, otherwise: otherwise)
        case "for":
            var p = JinjaExpressionParser(tokens: Array(tokens), line: line)
            let targets = try p.parseTargets()
            try p.expectName("in")
            let iterable = try p.parseExpression(allowConditional: false)
            var filter: JinjaExpr?
            if p.consumeName("if") { filter = try p.parseExpression(allowConditional: false) }
            if p.consumeName("recursive") {
                throw ChatTemplateError.unsupported(construct: "recursive for loops", line: line)
            }
            try p.expectEnd()
            let (body, end) = try parseBody(until: ["else", "endfor"])
            var otherwise: [JinjaNode] = []
            if end?.keyword == "else" { (otherwise, _) = try parseBody(until: ["endfor"]) }
            return .forLoop(targets: targets, iterable: iterable, filter: filter, body: body, otherwise: otherwise)
        case "set":
            var p = JinjaExpressionParser(tokens: Array(tokens), line: line)
            let target = try p.parseSetTarget()
            if p.atEnd {
                let (body, _) = try parseBody(until: ["endset"])
                return .setBlock(target, body)
            }
            try p.expectOp("=")
            return .set(target, try p.parseComplete())
        case "break", "continue":
            guard tokens.isEmpty else { throw ChatTemplateError.syntax("'\(keyword)' takes no arguments", line: line) }
            return keyword == "break" ? .breakLoop : .continueLoop
        case "generation":
            // transformers' AssistantTracker marks assistant spans; the text renders unchanged.
            let (body, _) = try parseBody(until: ["endgeneration"])
            return .ifChain(branches: [(.literal(.bool(true)), body)], otherwise: [])
        default:
            if Self.unsupportedStatements.contains(keyword) {
                throw ChatTemplateError.unsupported(construct: "{% \(keyword) %}", line: line)
            }
            throw ChatTemplateError.syntax("unknown statement '{% \(keyword) %}'", line: line)
        }
    }
}

/// Recursive-descent parser for one expression's tokens.
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
