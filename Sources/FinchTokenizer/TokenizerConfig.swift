import Foundation

/// The parts of an HF tokenizer_config.json that prompting and training need: the special token
/// strings, the BOS/EOS policy and the chat template(s).
public struct TokenizerConfig: Sendable, Equatable {
    public var bosToken: String?
    public var eosToken: String?
    public var unknownToken: String?
    public var paddingToken: String?
    /// `add_bos_token` / `add_eos_token` when the file states them.
    public var addBOSToken: Bool?
    public var addEOSToken: Bool?
    /// The default chat template: the string form, or the entry named "default" of the list form.
    public var chatTemplate: String?
    /// Every named template of the list form (e.g. "tool_use", "rag").
    public var namedChatTemplates: [String: String]

    public init(
        bosToken: String? = nil, eosToken: String? = nil, unknownToken: String? = nil, paddingToken: String? = nil,
        addBOSToken: Bool? = nil, addEOSToken: Bool? = nil, chatTemplate: String? = nil,
        namedChatTemplates: [String: String] = [:]
    ) {
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.unknownToken = unknownToken
        self.paddingToken = paddingToken
        self.addBOSToken = addBOSToken
        self.addEOSToken = addEOSToken
        self.chatTemplate = chatTemplate
        self.namedChatTemplates = namedChatTemplates
    }

    /// Reads tokenizer_config.json.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError.cannotRead(path: url.path, reason: "\(error.localizedDescription)")
        }
        let document: TemplateValue
        do {
            document = try TemplateValue(parsingJSON: data)
        } catch let error as JSONParseError {
            throw TokenizerError.invalidJSON(error.description)
        }
        try self.init(document: document)
    }

    /// Reads a parsed tokenizer_config.json document. Special tokens may be strings or
    /// AddedToken objects (`{"content": "<s>", ...}`).
    public init(document: TemplateValue) throws {
        guard let root = document.objectValue else {
            throw TokenizerError.invalidField(path: "$", reason: "tokenizer_config.json must be a JSON object")
        }
        func token(_ key: String) -> String? {
            root[key]?.stringValue ?? root[key]?["content"]?.stringValue
        }
        var named: [String: String] = [:]
        var template: String?
        switch root["chat_template"] {
        case .string(let s)?:
            template = s
        case .array(let items)?:
            for (i, item) in items.enumerated() {
                guard let name = item["name"]?.stringValue, let text = item["template"]?.stringValue else {
                    throw TokenizerError.invalidField(path: "chat_template[\(i)]", reason: "needs 'name' and 'template' strings")
                }
                named[name] = text
            }
            template = named["default"]
        case nil, .null?:
            break
        default:
            throw TokenizerError.invalidField(path: "chat_template", reason: "must be a string or a list of {name, template}")
        }
        self.init(
            bosToken: token("bos_token"), eosToken: token("eos_token"), unknownToken: token("unk_token"),
            paddingToken: token("pad_token"), addBOSToken: root["add_bos_token"]?.boolValue,
            addEOSToken: root["add_eos_token"]?.boolValue, chatTemplate: template, namedChatTemplates: named)
    }
}
