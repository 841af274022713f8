import FinchTokenizer
import Foundation

/// The `tokenizer.*` metadata of a GGUF export, built from an HF directory's tokenizer.json and
/// tokenizer_config.json the way llama.cpp's convert_hf_to_gguf does for byte-level BPE (`gpt2`):
/// tokens by id (padded to the model's vocabulary with `[PADn]`), token types (normal, control for
/// special added tokens, user-defined for other added tokens, unused for padding), merges, the
/// pre-tokenizer name, special token ids, add_bos/add_eos and the chat template.
/// The inverse of `GGUFTokenizerImport` for `tokenizer.ggml.model` gpt2.
enum GGUFTokenizerMetadata {
    /// llama.cpp token types.
    private static let normal: Int32 = 1, control: Int32 = 3, userDefined: Int32 = 4, unused: Int32 = 5

    static func entries(directory: URL, vocabSize: Int, config: ModelConfig) throws -> [(String, GGUFValue)] {
        let document = try readJSON(directory.appendingPathComponent("tokenizer.json"), required: true)
        let tokenizerConfig = try readJSON(directory.appendingPathComponent("tokenizer_config.json"), required: false)
        guard let model = document["model"], model["type"]?.stringValue == "BPE" else {
            throw ExportError.unsupported("GGUF export supports BPE tokenizers only (tokenizer.json model type is "
                + "\(document["model"]?["type"]?.stringValue ?? "missing"))")
        }
        guard model["byte_fallback"]?.boolValue != true else {
            throw ExportError.unsupported("SentencePiece-style tokenizers (byte_fallback, e.g. Llama 2) are not supported by the GGUF export yet")
        }
        let pre = try preTokenizerName(document["pre_tokenizer"] ?? .null)

        var tokens = [String?](repeating: nil, count: vocabSize)
        var types = [Int32](repeating: normal, count: vocabSize)
        var ids: [ExactKey: Int] = [:]
        func place(_ token: String, _ id: Int, _ type: Int32) throws {
            guard id >= 0, id < vocabSize else {
                throw ExportError.invalidModel("token '\(token)' has id \(id), outside the model's vocabulary of \(vocabSize)")
            }
            tokens[id] = token
            types[id] = type
            ids[ExactKey(token)] = id
        }
        for (token, id) in model["vocab"]?.objectValue?.entries ?? [] {
            guard let id = id.intValue else { throw ExportError.invalidModel("tokenizer.json vocab entry '\(token)' has no integer id") }
            try place(token, id, normal)
        }
        for added in document["added_tokens"]?.arrayValue ?? [] {
            guard let id = added["id"]?.intValue, let content = added["content"]?.stringValue else { continue }
            try place(content, id, added["special"]?.boolValue == true ? control : userDefined)
        }
        var padded: [GGUFValue] = []
        padded.reserveCapacity(vocabSize)
        for id in 0..<vocabSize {
            if let token = tokens[id] { padded.append(.string(token)) } else {
                padded.append(.string("[PAD\(id)]"))
                types[id] = unused
            }
        }
        let merges: [GGUFValue] = try (model["merges"]?.arrayValue ?? []).map { merge in
            if let s = merge.stringValue { return .string(s) }
            if let pair = merge.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                return .string("\(a) \(b)")
            }
            throw ExportError.invalidModel("tokenizer.json has a merge that is neither \"a b\" nor [a, b]")
        }

        var out: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")), ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(padded)), ("tokenizer.ggml.token_type", .array(types.map { .int32($0) })),
            ("tokenizer.ggml.merges", .array(merges)),
        ]
        func specialID(_ key: String) -> Int? {
            let value = tokenizerConfig[key]
            let text = value?.stringValue ?? value?["content"]?.stringValue
            return text.flatMap { ids[ExactKey($0)] }
        }
        let special: [(String, Int?)] = [
            ("bos_token_id", specialID("bos_token") ?? config.bosTokenId),
            ("eos_token_id", specialID("eos_token") ?? config.eosTokenIds.first),
            ("unknown_token_id", specialID("unk_token")), ("padding_token_id", specialID("pad_token")),
        ]
        for case let (key, id?) in special where id >= 0 && id < vocabSize {
            out.append(("tokenizer.ggml.\(key)", .uint32(UInt32(id))))
        }
        let (addBOS, addEOS) = addedSpecialTokens(document["post_processor"] ?? .null)
        out.append(("tokenizer.ggml.add_bos_token", .bool(addBOS)))
        out.append(("tokenizer.ggml.add_eos_token", .bool(addEOS)))
        if let template = chatTemplate(tokenizerConfig, directory: directory) {
            out.append(("tokenizer.chat_template", .string(template)))
        }
        return out
    }

    /// The llama.cpp `tokenizer.ggml.pre` name whose HF pre-tokenizer (as `GGUFTokenizerImport` rebuilds
    /// it) splits text the same way as `preTokenizer`.
    static func preTokenizerName(_ preTokenizer: TemplateValue) throws -> String {
        let wanted = signature(preTokenizer)
        for name in ["gpt-2", "smollm", "llama-bpe", "qwen2"] {
            if let (candidate, _) = try? GGUFTokenizerImport.byteLevelPreTokenizer(name), signature(candidate) == wanted {
                return name
            }
        }
        throw ExportError.unsupported(
            "the tokenizer's pre-tokenizer has no llama.cpp equivalent we know (supported: GPT-2, SmolLM, Llama 3, Qwen2 byte-level BPE)")
    }

    /// What decides how a pre-tokenizer splits: its types, regexes and digit/regex switches, in order.
    private static func signature(_ v: TemplateValue) -> String {
        switch v {
        case .object(let o):
            var parts: [String] = []
            for key in ["type", "individual_digits", "use_regex", "behavior"] {
                if let value = o[key] { parts.append("\(key)=\(value.stringValue ?? "\(value.boolValue ?? false)")") }
            }
            if let regex = o["pattern"]?["Regex"]?.stringValue { parts.append("regex=\(regex)") }
            if let list = o["pretokenizers"]?.arrayValue { parts.append("[" + list.map(signature).joined(separator: ";") + "]") }
            return "{" + parts.joined(separator: ",") + "}"
        default:
            return "null"
        }
    }

    /// Whether the post-processor puts a special token before (BOS) or after (EOS) the text.
    private static func addedSpecialTokens(_ postProcessor: TemplateValue) -> (Bool, Bool) {
        let steps = postProcessor["type"]?.stringValue == "Sequence"
            ? postProcessor["processors"]?.arrayValue ?? [] : [postProcessor]
        for step in steps where step["type"]?.stringValue == "TemplateProcessing" {
            let single = step["single"]?.arrayValue ?? []
            guard let text = single.firstIndex(where: { $0["Sequence"] != nil }) else { continue }
            return (single[..<text].contains { $0["SpecialToken"] != nil }, single[(text + 1)...].contains { $0["SpecialToken"] != nil })
        }
        return (false, false)
    }

    /// tokenizer_config.json's `chat_template` (a string, or the `default` of a named list), else chat_template.jinja.
    static func chatTemplate(_ tokenizerConfig: TemplateValue, directory: URL) -> String? {
        if let s = tokenizerConfig["chat_template"]?.stringValue { return s }
        if let list = tokenizerConfig["chat_template"]?.arrayValue {
            let chosen = list.first { $0["name"]?.stringValue == "default" } ?? list.first
            if let s = chosen?["template"]?.stringValue { return s }
        }
        return FileManager.default.contents(atPath: directory.appendingPathComponent("chat_template.jinja").path)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    static func readJSON(_ url: URL, required: Bool) throws -> TemplateValue {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            if required { throw ExportError.invalidModel("\(url.path) is missing") }
            return .object(TemplateObject())
        }
        do { return try TemplateValue(parsingJSON: data) } catch {
            throw ExportError.invalidModel("\(url.lastPathComponent) is not valid JSON: \(error)")
        }
    }
}
