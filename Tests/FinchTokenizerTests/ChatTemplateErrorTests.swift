import FinchTokenizer
import Foundation
import Testing

/// Unsupported or broken templates fail with an error that names the construct.
@Suite("Chat template errors")
struct ChatTemplateErrorTests {
    @Test("unsupported statements are named", arguments: ["macro greet(x)", "include 'x.jinja'", "extends 'base'", "raw", "call foo()"])
    func unsupportedStatements(statement: String) {
        let keyword = String(statement.split(separator: " ")[0])
        #expect(throws: ChatTemplateError.unsupported(construct: "{% \(keyword) %}", line: 2)) {
            try ChatTemplate("hello\n{% \(statement) %}{% endmacro %}")
        }
    }

    @Test("unsupported filters and tests are named when rendering")
    func unsupportedFiltersAndTests() throws {
        #expect(throws: ChatTemplateError.unsupported(construct: "filter 'xmlattr'", line: 0)) {
            try ChatTemplate("{{ x | xmlattr }}").render(context: ["x": [:]])
        }
        #expect(throws: ChatTemplateError.unsupported(construct: "test 'escaped'", line: 0)) {
            try ChatTemplate("{{ x is escaped }}").render(context: ["x": 1])
        }
    }

    @Test("syntax errors report the line", arguments: [
        ("line1\n{{ unclosed", 2), ("{% if x %}never closed", 0), ("{% for x in %}{% endfor %}", 1),
        ("{% endif %}", 1), ("a\nb\n{{ 'open string }}", 3), ("{{ 1 + }}", 1), ("{# no end", 1),
    ])
    func syntaxErrors(source: String, line: Int) {
        do {
            _ = try ChatTemplate(source)
            Issue.record("expected a syntax error for \(source.debugDescription)")
        } catch let ChatTemplateError.syntax(_, errorLine) {
            #expect(errorLine == line, "\(source.debugDescription)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("runtime errors: raise_exception, undefined members, bad operands")
    func runtimeErrors() throws {
        #expect(throws: ChatTemplateError.raised("bad roles")) {
            try ChatTemplate("{{ raise_exception('bad roles') }}").render(context: [:])
        }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{{ missing.attr }}").render(context: [:]) }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{{ 'a' + 1 }}").render(context: [:]) }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{{ 1 // 0 }}").render(context: [:]) }
        #expect(throws: ChatTemplateError.self) { try ChatTemplate("{% set ns = 1 %}{% set ns.x = 2 %}").render(context: [:]) }
    }

    @Test("the error description says what went wrong")
    func descriptions() {
        #expect(ChatTemplateError.unsupported(construct: "{% macro %}", line: 3).description
            == "chat template uses unsupported Jinja: {% macro %} (line 3)")
        #expect(ChatTemplateError.raised("x").description == "chat template raised: x")
    }
}
