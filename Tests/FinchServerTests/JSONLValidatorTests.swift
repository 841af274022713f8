import FinchServer
import Testing

@Suite("JSON Lines validation while streaming")
struct JSONLValidatorTests {
    func verdict(_ chunks: [String]) -> String? {
        var validator = JSONLValidator()
        for chunk in chunks {
            Array(chunk.utf8).withUnsafeBytes { validator.consume($0) }
        }
        return validator.finish()?.message
    }

    @Test("valid objects pass, split across chunks anywhere, with CRLF, blank lines and a BOM")
    func acceptsValid() {
        #expect(verdict([#"{"a": [1, 2.5e-3, -0, true, false, null, {"b": "\u00e9\n"}]}"#]) == nil)
        #expect(verdict(["{\"a\"", ": 1}\r\n\r\n", "  \n{\"b\":", "2}"]) == nil)
        #expect(verdict(["\u{FEFF}{\"a\": \"é — 日本\"}\n"]) == nil)
    }

    @Test("the first bad line is named with a reason", arguments: [
        ("{\"a\": 1}\n{\"a\": 01}\n", "Line 2"),
        ("{\"a\": tru}\n", "invalid literal"),
        ("{\"a\": \"unterminated}\n", "unterminated string"),
        ("{\"a\": 1} {\"b\": 2}\n", "unexpected data after the JSON object"),
        ("{\"a\": \"\\x\"}\n", "invalid escape"),
        ("{\"a\": 1,}\n", "expected a string key"),
        ("\"just a string\"\n", "expected a JSON object"),
        ("\n\n", "contains no JSON lines"),
    ])
    func rejectsInvalid(_ input: String, _ expected: String) {
        let message = verdict([input])
        #expect(message?.contains(expected) == true, "\(message ?? "nil")")
    }

    @Test("deep nesting is refused rather than recursing without bound")
    func deepNesting() {
        let deep = "{\"a\":" + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        #expect(verdict([deep])?.contains("nesting deeper") == true)
    }
}
