import FinchModels
import FinchTokenizer
import Foundation
import Testing

@Suite("tokenizer_config.json")
struct TokenizerConfigTests {
    @Test("string and AddedToken forms of special tokens, list-form chat templates")
    func parsesBothForms() throws {
        let config = try TokenizerConfig(document: TemplateValue(parsingJSON: #"""
            {"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>", "pad_token": null,
             "add_bos_token": true, "chat_template": [{"name": "default", "template": "{{ x }}"},
             {"name": "tool_use", "template": "{{ tools }}"}]}
            """#))
        #expect(config.bosToken == "<s>")
        #expect(config.eosToken == "</s>")
        #expect(config.paddingToken == nil)
        #expect(config.addBOSToken == true)
        #expect(config.addEOSToken == nil)
        #expect(config.chatTemplate == "{{ x }}")
        #expect(config.namedChatTemplates["tool_use"] == "{{ tools }}")
    }

    @Test("a bad chat_template is a clear error")
    func badTemplate() {
        #expect(throws: TokenizerError.invalidField(path: "chat_template", reason: "must be a string or a list of {name, template}")) {
            try TokenizerConfig(document: ["chat_template": 3])
        }
    }

    @Test("the config written for a GGUF import reads back", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func ggufImportRoundTrip() throws {
        let imported = try GGUFTokenizerImport(try GGUFFile(url: TestData.smolLM2))
        let text = imported.tokenizerConfig.jsonString(indent: 2)
        let config = try TokenizerConfig(document: TemplateValue(parsingJSON: text))
        #expect(config.eosToken == "<|im_end|>")
        #expect(config.bosToken == "<|im_start|>")
        #expect(config.addBOSToken == false)
        #expect(config.chatTemplate == imported.chatTemplate)
    }
}
