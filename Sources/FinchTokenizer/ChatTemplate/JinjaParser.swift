/// Parses template pieces into statements (`if`, `for`, `set`, ...); the expressions inside tags are
/// parsed by `JinjaExpressionParser`.
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
