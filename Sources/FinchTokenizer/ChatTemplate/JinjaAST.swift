/// A call argument: positional (`name == nil`) or keyword.
struct JinjaArgument: Sendable {
    var name: String?
    var value: JinjaExpr
}

/// A Jinja expression.
indirect enum JinjaExpr: Sendable {
    case literal(TemplateValue)
    case name(String)
    case list([JinjaExpr])
    case tuple([JinjaExpr])
    case dict([(key: JinjaExpr, value: JinjaExpr)])
    case attribute(JinjaExpr, String)
    case item(JinjaExpr, JinjaExpr)
    case slice(JinjaExpr, start: JinjaExpr?, stop: JinjaExpr?, step: JinjaExpr?)
    case call(JinjaExpr, [JinjaArgument])
    case filter(JinjaExpr, String, [JinjaArgument])
    case test(JinjaExpr, String, [JinjaArgument], negated: Bool)
    case not(JinjaExpr)
    case negate(JinjaExpr)
    /// `+ - * / // % ** ~ == != < > <= >= in`, and `not in` as "notin".
    case binary(String, JinjaExpr, JinjaExpr)
    case and(JinjaExpr, JinjaExpr)
    case or(JinjaExpr, JinjaExpr)
    case conditional(test: JinjaExpr, then: JinjaExpr, otherwise: JinjaExpr?)
}

/// Where `{% set %}` stores a value: a variable, or an attribute of a namespace (`ns.index`).
enum JinjaSetTarget: Sendable {
    case name(String)
    case tuple([String])
    case attribute(String, String)
}

/// A template statement.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpr)
    case ifChain(branches: [(test: JinjaExpr, body: [JinjaNode])], otherwise: [JinjaNode])
    case forLoop(targets: [String], iterable: JinjaExpr, filter: JinjaExpr?, body: [JinjaNode], otherwise: [JinjaNode])
    case set(JinjaSetTarget, JinjaExpr)
    case setBlock(JinjaSetTarget, [JinjaNode])
    case breakLoop
    case continueLoop
}
