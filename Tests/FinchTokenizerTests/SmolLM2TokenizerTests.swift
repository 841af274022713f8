import FinchModels
import FinchTokenizer
import Foundation
import Testing

/// The SmolLM2-135M-Instruct GGUF: its tokenizer must encode like HF `tokenizers` (reference ids in
/// Fixtures/smollm2_tokenizer.json from scripts/gen_smollm2_tokenizer_fixtures.py), and its chat
/// template must be the one committed under Fixtures/chat_templates/smollm2.jinja.
@Suite("SmolLM2 GGUF tokenizer and chat template")
struct SmolLM2TokenizerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var text: String
        var ids: [Int]
        var decoded: String
        var decodedSkipSpecial: String
        var testDescription: String { text.debugDescription }
    }

    static let cases: [Case] = {
        guard let data = try? TestData.fixture("smollm2_tokenizer.json"),
            let root = try? TemplateValue(parsingJSON: data)
        else { return [] }
        return (root["cases"]?.arrayValue ?? []).map { c in
            Case(
                text: c["text"]?.stringValue ?? "", ids: (c["ids"]?.arrayValue ?? []).compactMap(\.intValue),
                decoded: c["decoded"]?.stringValue ?? "", decodedSkipSpecial: c["decoded_skip_special"]?.stringValue ?? "")
        }
    }()

    static func load() throws -> (GGUFFile, GGUFTokenizerImport, Tokenizer) {
        let gguf = try GGUFFile(url: TestData.smolLM2)
        let imported = try GGUFTokenizerImport(gguf)
        return (gguf, imported, try imported.makeTokenizer())
    }

    @Test("encodes like HF tokenizers", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func encodes() throws {
        #expect(Self.cases.count >= 15)
        let (_, _, tokenizer) = try Self.load()
        for c in Self.cases {
            #expect(tokenizer.encode(c.text, addSpecialTokens: false) == c.ids, "\(c.text.debugDescription)")
            #expect(tokenizer.decode(c.ids) == c.decoded)
            #expect(tokenizer.decode(c.ids, skipSpecialTokens: true) == c.decodedSkipSpecial)
        }
    }

    @Test("special ids, BOS policy and vocabulary come from the metadata", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func specialTokens() throws {
        let (_, imported, tokenizer) = try Self.load()
        #expect(imported.bosTokenID == 1)
        #expect(imported.eosTokenID == 2)
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.tokenID(for: "<|im_end|>") == 2)
        #expect(tokenizer.isSpecial(2))
        #expect(tokenizer.specialPrefixIDs.isEmpty)  // add_bos_token = false
        #expect(tokenizer.encode("Hi") == tokenizer.encode("Hi", addSpecialTokens: false))
        #expect(imported.tokenizerConfig["eos_token"] == "<|im_end|>")
    }

    @Test("the exported tokenizer.json round-trips through JSON text", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func exportedDocumentReloads() throws {
        let (_, imported, tokenizer) = try Self.load()
        let text = imported.tokenizerJSON.jsonString(indent: 2)
        let reloaded = try Tokenizer(tokenizerJSON: Data(text.utf8))
        for c in Self.cases { #expect(reloaded.encode(c.text, addSpecialTokens: false) == tokenizer.encode(c.text, addSpecialTokens: false)) }
    }

    @Test("the chat template from the GGUF renders a conversation", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func chatTemplate() throws {
        let (_, imported, tokenizer) = try Self.load()
        let source = try #require(imported.chatTemplate)
        let committed = try String(contentsOf: TestData.fixtures.appendingPathComponent("chat_templates/smollm2.jinja"), encoding: .utf8)
        #expect(source == committed)
        let prompt = try ChatTemplate(source).render(
            messages: [["role": "user", "content": "What is 2+2?"]], addGenerationPrompt: true,
            bosToken: "<|im_start|>", eosToken: "<|im_end|>")
        #expect(prompt.hasSuffix("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"))
        let ids = tokenizer.encode(prompt, addSpecialTokens: false)
        #expect(ids.filter { $0 == 1 }.count == 3)  // three <|im_start|> markers
        #expect(tokenizer.decode(ids) == prompt)
    }

    @Test("the reader exposes SmolLM2's tensors with exact extents", .enabled(if: TestData.smolLM2Available, TestData.skipMessage))
    func tensors() throws {
        let (gguf, _, _) = try Self.load()
        #expect(gguf.version == 3)
        #expect(gguf.architecture == "llama")
        #expect(gguf.tensors.count == 272)
        #expect(gguf.metadata.int("llama.block_count") == 30)
        let embed = try #require(gguf.tensor(named: "token_embd.weight"))
        #expect(embed.dimensions == [576, 49152])
        #expect(embed.shape == [49152, 576])
        #expect(embed.byteCount == 576 * 49152 / 32 * (embed.type.bytesPerBlock ?? 0))
        var end = 0
        for t in gguf.tensors {
            #expect(t.absoluteOffset % gguf.alignment == 0)
            end = max(end, t.absoluteOffset + t.byteCount)
        }
        #expect(end <= gguf.fileSize)
        let norm = try #require(gguf.tensor(named: "output_norm.weight"))
        #expect(norm.type == .f32)
        let first = gguf.withTensorBytes(norm) { $0.loadUnaligned(as: Float.self) }
        #expect(first.isFinite && first != 0)
    }
}
