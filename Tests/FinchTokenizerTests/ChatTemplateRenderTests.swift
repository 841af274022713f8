import FinchTokenizer
import Foundation
import Testing

/// Renders of the real HF chat templates must equal Python jinja2's (HF settings) byte for byte.
/// Expected renders: Fixtures/chat_template_renders.json, made by scripts/gen_chat_template_fixtures.py.
@Suite("Chat templates render like transformers")
struct ChatTemplateRenderTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var template: String
        var conversation: String
        var addGenerationPrompt: Bool
        var expected: String?
        var error: String?
        /// `raised` for raise_exception(...); otherwise another jinja2 error (e.g. an undefined member).
        var errorKind: String?
        var testDescription: String { "\(template)/\(conversation)/agp=\(addGenerationPrompt)" }
    }

    struct Fixture: Sendable {
        var now: Date
        var specialTokens: [String: (bos: String?, eos: String?)]
        var conversations: [String: (messages: [TemplateValue], tools: [TemplateValue]?, extra: [String: TemplateValue])]
        var cases: [Case]
    }

    static let fixture: Fixture = {
        do {
            let root = try TemplateValue(parsingJSON: TestData.fixture("chat_template_renders.json"))
            var special: [String: (bos: String?, eos: String?)] = [:]
            for (name, tokens) in root["special_tokens"]?.objectValue?.entries ?? [] {
                special[name] = (tokens["bos_token"]?.stringValue, tokens["eos_token"]?.stringValue)
            }
            var conversations: [String: (messages: [TemplateValue], tools: [TemplateValue]?, extra: [String: TemplateValue])] = [:]
            for (name, c) in root["conversations"]?.objectValue?.entries ?? [] {
                let extra = Dictionary(uniqueKeysWithValues: (c["extra"]?.objectValue?.entries ?? []).map { ($0.key, $0.value) })
                conversations[name] = (c["messages"]?.arrayValue ?? [], c["tools"]?.arrayValue, extra)
            }
            let cases = (root["cases"]?.arrayValue ?? []).map { c in
                Case(
                    template: c["template"]?.stringValue ?? "", conversation: c["conversation"]?.stringValue ?? "",
                    addGenerationPrompt: c["add_generation_prompt"]?.boolValue ?? false,
                    expected: c["expected"]?.stringValue, error: c["error"]?.stringValue,
                    errorKind: c["error_kind"]?.stringValue)
            }
            let now = Date(timeIntervalSince1970: Double(root["now_unix"]?.intValue ?? 0))
            return Fixture(now: now, specialTokens: special, conversations: conversations, cases: cases)
        } catch {
            return Fixture(now: Date(), specialTokens: [:], conversations: [:], cases: [])
        }
    }()

    static func template(_ name: String) throws -> ChatTemplate {
        let url = TestData.fixtures.appendingPathComponent("chat_templates/\(name).jinja")
        return try ChatTemplate(String(contentsOf: url, encoding: .utf8))
    }

    @Test("the fixture file has cases for every template")
    func fixtureLoaded() {
        #expect(Self.fixture.cases.count >= 60)
        #expect(Set(Self.fixture.cases.map(\.template)) == ["smollm2", "qwen2.5", "llama3.1", "llama3.2", "mistral-v0.3", "features", "qwen3"])
    }

    @Test("renders equal jinja2's output", arguments: fixture.cases)
    func rendersLikeJinja2(_ c: Case) throws {
        let template = try Self.template(c.template)
        let tokens = Self.fixture.specialTokens[c.template]
        let conversation = try #require(Self.fixture.conversations[c.conversation])
        let render = {
            try template.render(
                messages: conversation.messages, tools: conversation.tools, addGenerationPrompt: c.addGenerationPrompt,
                bosToken: tokens?.bos ?? nil, eosToken: tokens?.eos ?? nil, extra: conversation.extra, now: Self.fixture.now)
        }
        if let error = c.error, c.errorKind == "raised" {
            #expect(throws: ChatTemplateError.raised(error)) { try render() }
        } else if c.error != nil {
            #expect(throws: ChatTemplateError.self) { try render() }
        } else {
            let output = try render()
            #expect(output == c.expected)
        }
    }
}
