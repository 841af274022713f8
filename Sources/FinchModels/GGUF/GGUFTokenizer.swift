import FinchTokenizer

/// The tokenizer of a GGUF file, rebuilt from its `tokenizer.ggml.*` metadata as the equivalent
/// Hugging Face tokenizer.json and tokenizer_config.json documents.
///
/// ```swift
/// let imported = try GGUFTokenizerImport(gguf)
/// let tokenizer = try imported.makeTokenizer()
/// try Data(imported.tokenizerJSON.jsonString(indent: 2).utf8).write(to: dir.appending(path: "tokenizer.json"))
/// ```
/// Supported: `tokenizer.ggml.model` `gpt2` (byte-level BPE; pre-tokenizers gpt-2/default, llama-bpe,
/// qwen2, smollm/starcoder...) and `llama` (SentencePiece BPE with byte fallback; merges derived from
/// the scores as HF's converter does). Anything else throws `GGUFError.malformed` naming the value.
public struct GGUFTokenizerImport: Sendable {
    /// The tokenizer.json document.
    public let tokenizerJSON: TemplateValue
    /// The tokenizer_config.json document (special tokens, add_bos/eos, chat_template).
    public let tokenizerConfig: TemplateValue
    /// `tokenizer.chat_template`, if the file has one.
    public let chatTemplate: String?
    public let bosTokenID: Int?
    public let eosTokenID: Int?
    public let unknownTokenID: Int?
    public let paddingTokenID: Int?
    /// The token strings (`tokenizer.ggml.tokens`), indexed by id.
    public let tokens: [String]

    /// llama.cpp `llama_token_type` values stored in `tokenizer.ggml.token_type`.
    enum TokenType: Int {
        case normal = 1, unknown, control, userDefined, unused, byte
    }

    /// Reads the tokenizer metadata of `file`.
    public init(_ file: GGUFFile) throws {
        try self.init(metadata: file.metadata)
    }

    public init(metadata: GGUFMetadata) throws {
        let model = try metadata.requireString("tokenizer.ggml.model")
        guard let tokens = metadata.stringArray("tokenizer.ggml.tokens"), !tokens.isEmpty else {
            throw GGUFError.missingMetadata(key: "tokenizer.ggml.tokens", expected: "a non-empty string array")
        }
        let types = metadata.intArray("tokenizer.ggml.token_type") ?? []
        guard types.isEmpty || types.count == tokens.count else {
            throw GGUFError.malformed("tokenizer.ggml.token_type has \(types.count) entries for \(tokens.count) tokens")
        }
        func specialID(_ key: String) throws -> Int? {
            guard let id = metadata.int("tokenizer.ggml.\(key)") else { return nil }
            guard id >= 0 && id < tokens.count else {
                throw GGUFError.malformed("tokenizer.ggml.\(key) = \(id) is outside the vocabulary of \(tokens.count)")
            }
            return id
        }
        self.tokens = tokens
        bosTokenID = try specialID("bos_token_id")
        eosTokenID = try specialID("eos_token_id")
        paddingTokenID = try specialID("padding_token_id")
        chatTemplate = metadata.string("tokenizer.chat_template")
        let pre = metadata.string("tokenizer.ggml.pre") ?? "default"

        var vocab = TemplateObject()
        for (id, token) in tokens.enumerated() where vocab[token] == nil { vocab[token] = .int(id) }

        var addedTokens: [TemplateValue] = []
        for (id, token) in tokens.enumerated() {
            let type = id < types.count ? TokenType(rawValue: types[id]) : nil
            guard type == .control || type == .unknown || type == .userDefined else { continue }
            addedTokens.append([
                "id": .int(id), "content": .string(token), "single_word": false, "lstrip": false, "rstrip": false,
                "normalized": .bool(type == .userDefined), "special": .bool(type != .userDefined),
            ])
        }

        var document = TemplateObject()
        document["version"] = "1.0"
        document["truncation"] = .null
        document["padding"] = .null
        document["added_tokens"] = .array(addedTokens)
        let addBOS: Bool
        let addEOS = metadata.bool("tokenizer.ggml.add_eos_token") ?? false

        switch model {
        case "gpt2":
            let merges = metadata.stringArray("tokenizer.ggml.merges") ?? []
            let (preTokenizer, ignoreMerges) = try Self.byteLevelPreTokenizer(pre)
            unknownTokenID = try specialID("unknown_token_id")
            addBOS = metadata.bool("tokenizer.ggml.add_bos_token") ?? ignoreMerges  // Llama 3 adds BOS by default
            // Qwen2's HF tokenizer.json normalizes to NFC; the GGUF does not record it, the pre name implies it.
            document["normalizer"] = Self.qwen2Family.contains(pre) ? ["type": "NFC"] : .null
            document["pre_tokenizer"] = preTokenizer
            document["model"] = [
                "type": "BPE", "dropout": .null, "unk_token": .null, "continuing_subword_prefix": .null,
                "end_of_word_suffix": .null, "fuse_unk": false, "byte_fallback": false,
                "ignore_merges": .bool(ignoreMerges), "vocab": .object(vocab),
                "merges": .array(merges.map { .string($0) }),
            ]
            document["decoder"] = ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true]
        case "llama":
            let scores = metadata.doubleArray("tokenizer.ggml.scores") ?? []
            guard scores.count == tokens.count else {
                throw GGUFError.missingMetadata(key: "tokenizer.ggml.scores", expected: "one score per token")
            }
            let unk = try specialID("unknown_token_id") ?? 0
            unknownTokenID = unk
            addBOS = metadata.bool("tokenizer.ggml.add_bos_token") ?? true
            let addSpacePrefix = metadata.bool("tokenizer.ggml.add_space_prefix") ?? true
            var normalizers: [TemplateValue] = []
            if addSpacePrefix { normalizers.append(["type": "Prepend", "prepend": "▁"]) }
            normalizers.append(["type": "Replace", "pattern": ["String": " "], "content": "▁"])
            document["normalizer"] = ["type": "Sequence", "normalizers": .array(normalizers)]
            document["pre_tokenizer"] = .null
            document["model"] = [
                "type": "BPE", "dropout": .null, "unk_token": .string(tokens[unk]), "continuing_subword_prefix": .null,
                "end_of_word_suffix": .null, "fuse_unk": true, "byte_fallback": true, "ignore_merges": false,
                "vocab": .object(vocab),
                "merges": .array(Self.sentencePieceMerges(tokens: tokens, scores: scores).map { .string("\($0) \($1)") }),
            ]
            var decoders: [TemplateValue] = [
                ["type": "Replace", "pattern": ["String": "▁"], "content": " "], ["type": "ByteFallback"], ["type": "Fuse"],
            ]
            if addSpacePrefix { decoders.append(["type": "Strip", "content": " ", "start": 1, "stop": 0]) }
            document["decoder"] = ["type": "Sequence", "decoders": .array(decoders)]
        default:
            throw GGUFError.malformed("tokenizer.ggml.model '\(model)' is not supported (supported: gpt2, llama)")
        }
        document["post_processor"] = Self.postProcessor(
            bos: addBOS ? bosTokenID.map { tokens[$0] } : nil, eos: addEOS ? eosTokenID.map { tokens[$0] } : nil,
            ids: [bosTokenID, eosTokenID])
        tokenizerJSON = .object(document)

        var config = TemplateObject()
        config["add_bos_token"] = .bool(addBOS)
        config["add_eos_token"] = .bool(addEOS)
        for (key, id) in [("bos_token", bosTokenID), ("eos_token", eosTokenID), ("unk_token", unknownTokenID), ("pad_token", paddingTokenID)] {
            config[key] = id.map { .string(tokens[$0]) } ?? .null
        }
        config["clean_up_tokenization_spaces"] = false
        config["model_max_length"] = .int(metadata.int("\(metadata.string("general.architecture") ?? "llama").context_length") ?? 8192)
        config["tokenizer_class"] = "PreTrainedTokenizerFast"
        if let chatTemplate { config["chat_template"] = .string(chatTemplate) }
        tokenizerConfig = .object(config)
    }

    /// Builds the tokenizer from `tokenizerJSON`.
    public func makeTokenizer() throws -> Tokenizer {
        try Tokenizer(document: tokenizerJSON)
    }

    /// The HF pre-tokenizer for a llama.cpp `tokenizer.ggml.pre` name, and whether merges are ignored
    /// for whole-token words (Llama 3).
    static func byteLevelPreTokenizer(_ pre: String) throws -> (TemplateValue, Bool) {
        let byteLevelNoRegex: TemplateValue = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false]
        func split(_ pattern: SplitPattern) -> TemplateValue {
            ["type": "Sequence", "pretokenizers": [
                ["type": "Split", "pattern": ["Regex": .string(pattern.regex)], "behavior": "Isolated", "invert": false],
                byteLevelNoRegex,
            ]]
        }
        switch pre {
        case "default", "gpt-2", "gpt2", "mpt", "olmo", "jais", "phi-2":
            return (["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true], false)
        case "llama-bpe", "llama3", "llama-v3", "smaug-bpe", "falcon3", "dbrx":
            return (split(.llama3), true)
        case _ where qwen2Family.contains(pre):
            return (split(.qwen2), false)
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva":
            return (["type": "Sequence", "pretokenizers": [
                ["type": "Digits", "individual_digits": true],
                ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true],
            ]], false)
        default:
            throw GGUFError.malformed(
                "tokenizer.ggml.pre '\(pre)' is not supported (supported: gpt-2, default, llama-bpe, qwen2, smollm, starcoder, ...)")
        }
    }

    static let qwen2Family: Set<String> = ["qwen2", "deepseek-r1-qwen", "stablelm2"]

    static func postProcessor(bos: String?, eos: String?, ids: [Int?]) -> TemplateValue {
        var single: [TemplateValue] = []
        var specials = TemplateObject()
        if let bos, let id = ids[0] {
            single.append(["SpecialToken": ["id": .string(bos), "type_id": 0]])
            specials[bos] = ["id": .string(bos), "ids": [.int(id)], "tokens": [.string(bos)]]
        }
        single.append(["Sequence": ["id": "A", "type_id": 0]])
        if let eos, let id = ids[1] {
            single.append(["SpecialToken": ["id": .string(eos), "type_id": 0]])
            specials[eos] = ["id": .string(eos), "ids": [.int(id)], "tokens": [.string(eos)]]
        }
        var pair = single
        pair.append(contentsOf: single.map { item in
            item["Sequence"] != nil ? ["Sequence": ["id": "B", "type_id": 1]] : item
        })
        return ["type": "TemplateProcessing", "single": .array(single), "pair": .array(pair), "special_tokens": .object(specials)]
    }

    /// BPE merges equivalent to a SentencePiece vocabulary, ordered like HF's `SentencePieceExtractor`:
    /// every split of a token into two tokens, by the merged token's score (highest first), ties in
    /// vocabulary order, then by the ids of the two halves.
    static func sentencePieceMerges(tokens: [String], scores: [Double]) -> [(String, String)] {
        // Keys compare by scalars: Llama 2 has canonically equivalent but distinct tokens (ί U+1F77 / U+03AF).
        var ids: [ExactKey: Int] = [:]
        for (id, token) in tokens.enumerated() where ids[ExactKey(token)] == nil { ids[ExactKey(token)] = id }
        var candidates: [(left: Int, right: Int, score: Double, order: Int)] = []
        for (id, token) in tokens.enumerated() {
            let scalars = Array(token.unicodeScalars)
            guard scalars.count >= 2 else { continue }
            var local: [(Int, Int)] = []
            for cut in 1..<scalars.count {
                let left = String(String.UnicodeScalarView(scalars[..<cut]))
                let right = String(String.UnicodeScalarView(scalars[cut...]))
                if let l = ids[ExactKey(left)], let r = ids[ExactKey(right)] { local.append((l, r)) }
            }
            local.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            for (l, r) in local { candidates.append((l, r, scores[id], candidates.count)) }
        }
        candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.order < $1.order }
        return candidates.map { (tokens[$0.left], tokens[$0.right]) }
    }
}
