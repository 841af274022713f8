import Foundation

extension Tokenizer {
    /// Loads a tokenizer.json file.
    public convenience init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.cannotRead(path: url.path, reason: "\(error.localizedDescription)")
        }
        try self.init(tokenizerJSON: data)
    }

    /// Builds a tokenizer from the bytes of a tokenizer.json document.
    public convenience init(tokenizerJSON data: Data) throws {
        let document: TemplateValue
        do {
            document = try TemplateValue(parsingJSON: data)
        } catch let error as JSONParseError {
            throw TokenizerError.invalidJSON(error.description)
        }
        try self.init(document: document)
    }

    /// Builds a tokenizer from a parsed tokenizer.json document.
    public convenience init(document: TemplateValue) throws {
        guard let root = document.objectValue else {
            throw TokenizerError.invalidField(path: "$", reason: "must be a JSON object")
        }
        let added = try Self.parseAddedTokens(root["added_tokens"])
        let normalizer = try Self.parseNormalizer(root["normalizer"], path: "normalizer")
        let preTokenizer = try Self.parsePreTokenizer(root["pre_tokenizer"], path: "pre_tokenizer")
        let model = try Self.parseModel(root["model"])
        var decoderOptions = TokenDecoder.Options()
        try Self.parseDecoder(root["decoder"], path: "decoder", into: &decoderOptions)
        if root["decoder"] == nil || root["decoder"] == .null, preTokenizer?.isByteLevel == true {
            decoderOptions.byteLevel = true
        }
        let vocab = model.vocab.merging(added.map { (ExactKey($0.content), $0.id) }) { a, _ in a }
        let post = try Self.parsePostProcessor(root["post_processor"], path: "post_processor", vocab: vocab)
        self.init(
            normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: post,
            decoderOptions: decoderOptions, addedTokens: added)
    }

    /// Token ids are dense in real vocabularies (the largest have ~260k); anything above this is an
    /// error rather than a request to allocate a huge id table.
    static let maxTokenID = 1 << 24

    // MARK: - Pieces

    private static func object(_ value: TemplateValue?, _ path: String) throws -> TemplateObject? {
        guard let value, value != .null else { return nil }
        guard let object = value.objectValue else {
            throw TokenizerError.invalidField(path: path, reason: "must be an object or null")
        }
        return object
    }

    private static func type(_ object: TemplateObject, _ path: String) throws -> String {
        guard let type = object["type"]?.stringValue else {
            throw TokenizerError.invalidField(path: "\(path).type", reason: "is missing or not a string")
        }
        return type
    }

    private static func bool(_ object: TemplateObject, _ key: String, default value: Bool) -> Bool {
        object[key]?.boolValue ?? value
    }

    static func parseAddedTokens(_ value: TemplateValue?) throws -> [AddedToken] {
        guard let value, value != .null else { return [] }
        guard let items = value.arrayValue else {
            throw TokenizerError.invalidField(path: "added_tokens", reason: "must be an array")
        }
        return try items.enumerated().map { index, item in
            let path = "added_tokens[\(index)]"
            guard let object = item.objectValue, let id = object["id"]?.intValue, id >= 0, id < maxTokenID,
                let content = object["content"]?.stringValue
            else {
                throw TokenizerError.invalidField(path: path, reason: "needs an integer 'id' in 0..<\(maxTokenID) and a string 'content'")
            }
            return AddedToken(
                id: id, content: content, special: bool(object, "special", default: false),
                lstrip: bool(object, "lstrip", default: false), rstrip: bool(object, "rstrip", default: false))
        }
    }

    static func parseNormalizer(_ value: TemplateValue?, path: String) throws -> Normalizer? {
        guard let object = try object(value, path) else { return nil }
        switch try type(object, path) {
        case "Sequence":
            guard let items = object["normalizers"]?.arrayValue else {
                throw TokenizerError.invalidField(path: "\(path).normalizers", reason: "must be an array")
            }
            return .sequence(try items.enumerated().compactMap { try parseNormalizer($1, path: "\(path).normalizers[\($0)]") })
        case "NFC": return .nfc
        case "NFKC": return .nfkc
        case "Lowercase": return .lowercase
        case "Prepend":
            guard let prefix = object["prepend"]?.stringValue else {
                throw TokenizerError.invalidField(path: "\(path).prepend", reason: "must be a string")
            }
            return .prepend(prefix)
        case "Replace":
            let (pattern, content) = try replacePattern(object, path)
            return .replace(pattern: pattern, content: content)
        case let other:
            throw TokenizerError.unsupported(path: path, what: "normalizer type '\(other)'")
        }
    }

    private static func replacePattern(_ object: TemplateObject, _ path: String) throws -> (String, String) {
        guard let pattern = object["pattern"]?.objectValue, let content = object["content"]?.stringValue else {
            throw TokenizerError.invalidField(path: path, reason: "Replace needs 'pattern' and 'content'")
        }
        guard let literal = pattern["String"]?.stringValue else {
            throw TokenizerError.unsupported(path: "\(path).pattern", what: "Replace with a regex pattern")
        }
        return (literal, content)
    }

    static func parsePreTokenizer(_ value: TemplateValue?, path: String) throws -> PreTokenizer? {
        guard let object = try object(value, path) else { return nil }
        switch try type(object, path) {
        case "Sequence":
            guard let items = object["pretokenizers"]?.arrayValue else {
                throw TokenizerError.invalidField(path: "\(path).pretokenizers", reason: "must be an array")
            }
            return .sequence(try items.enumerated().compactMap { try parsePreTokenizer($1, path: "\(path).pretokenizers[\($0)]") })
        case "ByteLevel":
            return .byteLevel(
                addPrefixSpace: bool(object, "add_prefix_space", default: true),
                useRegex: bool(object, "use_regex", default: true))
        case "Digits":
            return .digits(individual: bool(object, "individual_digits", default: false))
        case "Split":
            guard let pattern = object["pattern"]?.objectValue else {
                throw TokenizerError.invalidField(path: "\(path).pattern", reason: "must be an object")
            }
            let behavior = object["behavior"]?.stringValue ?? "Isolated"
            guard behavior == "Isolated", !bool(object, "invert", default: false) else {
                throw TokenizerError.unsupported(path: path, what: "Split behavior '\(behavior)' (only Isolated, not inverted)")
            }
            guard let regex = pattern["Regex"]?.stringValue else {
                throw TokenizerError.unsupported(path: "\(path).pattern", what: "Split on a literal string")
            }
            guard let known = SplitPattern(regex: regex) else {
                throw TokenizerError.unsupported(
                    path: "\(path).pattern.Regex", what: "pre-tokenizer regex \(regex) (known: GPT-2, Llama 3, Qwen2)")
            }
            return .split(known)
        case "Metaspace":
            let replacement = object["replacement"]?.stringValue ?? "▁"
            guard let scalar = replacement.unicodeScalars.first, replacement.unicodeScalars.count == 1 else {
                throw TokenizerError.invalidField(path: "\(path).replacement", reason: "must be one character")
            }
            let scheme: PrependScheme
            if let raw = object["prepend_scheme"]?.stringValue {
                guard let s = PrependScheme(rawValue: raw) else {
                    throw TokenizerError.invalidField(path: "\(path).prepend_scheme", reason: "unknown scheme '\(raw)'")
                }
                scheme = s
            } else {
                scheme = bool(object, "add_prefix_space", default: true) ? .always : .never
            }
            return .metaspace(replacement: scalar, prependScheme: scheme, split: bool(object, "split", default: true))
        case let other:
            throw TokenizerError.unsupported(path: path, what: "pre-tokenizer type '\(other)'")
        }
    }

    static func parseModel(_ value: TemplateValue?) throws -> BPEModel {
        guard let object = try object(value, "model") else {
            throw TokenizerError.invalidField(path: "model", reason: "is missing")
        }
        let type = object["type"]?.stringValue ?? (object["merges"] != nil ? "BPE" : "?")
        guard type == "BPE" else {
            throw TokenizerError.unsupported(path: "model.type", what: "model type '\(type)' (only BPE)")
        }
        guard let vocabObject = object["vocab"]?.objectValue else {
            throw TokenizerError.invalidField(path: "model.vocab", reason: "must be an object of token → id")
        }
        var vocab: [ExactKey: Int] = [:]
        vocab.reserveCapacity(vocabObject.count)
        for (token, idValue) in vocabObject.entries {
            guard let id = idValue.intValue, id >= 0, id < maxTokenID else {
                throw TokenizerError.invalidField(
                    path: "model.vocab[\(token)]", reason: "must be an integer id in 0..<\(maxTokenID)")
            }
            vocab[ExactKey(token)] = id
        }
        var merges: [(String, String)] = []
        for (index, item) in (object["merges"]?.arrayValue ?? []).enumerated() {
            if let line = item.stringValue {
                let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidField(path: "model.merges[\(index)]", reason: "'\(line)' is not 'left right'")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else if let pair = item.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                merges.append((a, b))
            } else {
                throw TokenizerError.invalidField(path: "model.merges[\(index)]", reason: "must be 'a b' or [a, b]")
            }
        }
        if let prefix = object["continuing_subword_prefix"]?.stringValue, !prefix.isEmpty {
            throw TokenizerError.unsupported(path: "model.continuing_subword_prefix", what: "BPE subword prefix")
        }
        if let suffix = object["end_of_word_suffix"]?.stringValue, !suffix.isEmpty {
            throw TokenizerError.unsupported(path: "model.end_of_word_suffix", what: "BPE end-of-word suffix")
        }
        return try BPEModel(
            vocab: vocab, merges: merges, unkToken: object["unk_token"]?.stringValue,
            byteFallback: bool(object, "byte_fallback", default: false), fuseUnk: bool(object, "fuse_unk", default: false),
            ignoreMerges: bool(object, "ignore_merges", default: false))
    }

    static func parseDecoder(_ value: TemplateValue?, path: String, into options: inout TokenDecoder.Options) throws {
        guard let object = try object(value, path) else { return }
        switch try type(object, path) {
        case "Sequence":
            for (i, item) in (object["decoders"]?.arrayValue ?? []).enumerated() {
                try parseDecoder(item, path: "\(path).decoders[\(i)]", into: &options)
            }
        case "ByteLevel": options.byteLevel = true
        case "ByteFallback": options.byteFallback = true
        case "Fuse": break
        case "Replace":
            let (pattern, content) = try replacePattern(object, path)
            options.replacements.append((pattern, content))
        case "Strip":
            let content = object["content"]?.stringValue ?? " "
            guard content == " ", (object["stop"]?.intValue ?? 0) == 0 else {
                throw TokenizerError.unsupported(path: path, what: "Strip decoder other than leading spaces")
            }
            options.stripLeadingSpaces = object["start"]?.intValue ?? 0
        case "Metaspace":
            let replacement = object["replacement"]?.stringValue ?? "▁"
            options.replacements.append((replacement, " "))
            let scheme = object["prepend_scheme"]?.stringValue
                ?? (bool(object, "add_prefix_space", default: true) ? "always" : "never")
            if scheme != "never" { options.metaspaceFirstToken = replacement }
        case let other:
            throw TokenizerError.unsupported(path: path, what: "decoder type '\(other)'")
        }
    }

    static func parsePostProcessor(_ value: TemplateValue?, path: String, vocab: [ExactKey: Int]) throws -> PostProcessor {
        guard let object = try object(value, path) else { return PostProcessor() }
        switch try type(object, path) {
        case "ByteLevel": return PostProcessor()
        case "Sequence":
            var combined = PostProcessor()
            for (i, item) in (object["processors"]?.arrayValue ?? []).enumerated() {
                let p = try parsePostProcessor(item, path: "\(path).processors[\(i)]", vocab: vocab)
                combined.prefix += p.prefix
                combined.suffix += p.suffix
            }
            return combined
        case "TemplateProcessing":
            guard let single = object["single"]?.arrayValue else {
                throw TokenizerError.invalidField(path: "\(path).single", reason: "must be an array")
            }
            let specials = object["special_tokens"]?.objectValue ?? TemplateObject()
            var result = PostProcessor()
            var seenSequence = false
            for (i, item) in single.enumerated() {
                if item["Sequence"] != nil { seenSequence = true; continue }
                guard let name = item["SpecialToken"]?["id"]?.stringValue else {
                    throw TokenizerError.invalidField(path: "\(path).single[\(i)]", reason: "must be a Sequence or SpecialToken")
                }
                var ids: [Int] = []
                if let listed = specials[name]?["ids"]?.arrayValue {
                    ids = listed.compactMap(\.intValue)
                } else if let id = vocab[ExactKey(name)] {
                    ids = [id]
                } else {
                    throw TokenizerError.invalidField(path: "\(path).special_tokens", reason: "has no ids for '\(name)'")
                }
                if seenSequence { result.suffix += ids } else { result.prefix += ids }
            }
            return result
        case let other:
            throw TokenizerError.unsupported(path: path, what: "post-processor type '\(other)'")
        }
    }
}
