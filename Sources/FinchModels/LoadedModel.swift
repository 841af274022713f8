import FinchTensor
import FinchTokenizer
import Foundation

/// A model ready to run: its network, tokenizer and chat template, loaded from one HF directory
/// (config.json, *.safetensors, tokenizer.json, tokenizer_config.json / chat_template.jinja).
public struct LoadedModel: Sendable {
    public let directory: URL
    public let network: any CausalLanguageModel
    public let tokenizer: Tokenizer
    /// The Jinja chat template, if the model has one.
    public let chatTemplate: String?
    /// `bos_token` / `eos_token` strings from tokenizer_config.json (used by chat templates).
    public let bosToken: String?
    public let eosToken: String?
    /// Token ids that end generation: config.json, generation_config.json and the tokenizer's eos.
    public let eosTokenIds: Set<Int>

    public var config: ModelConfig { network.config }

    /// Loads everything in `directory`.
    public static func load(directory: URL) throws -> LoadedModel {
        let network = try ModelLoader.loadModel(directory: directory)
        let tokURL = directory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: tokURL.path) else { throw ModelError.fileNotFound(tokURL.path) }
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(contentsOf: tokURL) } catch { throw ModelError.tokenizer("\(error)") }
        let tc = readJSON(directory.appendingPathComponent("tokenizer_config.json")) ?? [:]
        var template: String?
        if let s = tc["chat_template"] as? String {
            template = s
        } else if let list = tc["chat_template"] as? [[String: Any]] {
            template = (list.first { $0["name"] as? String == "default" } ?? list.first)?["template"] as? String
        }
        if template == nil, let data = FileManager.default.contents(atPath: directory.appendingPathComponent("chat_template.jinja").path) {
            template = String(decoding: data, as: UTF8.self)
        }
        func tokenString(_ v: Any?) -> String? {
            if let s = v as? String { return s }
            return (v as? [String: Any])?["content"] as? String
        }
        let bos = tokenString(tc["bos_token"]), eos = tokenString(tc["eos_token"])
        var eosIds = Set(network.config.eosTokenIds)
        if let gen = readJSON(directory.appendingPathComponent("generation_config.json")) {
            eosIds.formUnion(ModelConfig.ids(gen["eos_token_id"]))
        }
        if let eos, let id = tokenizer.tokenID(for: eos) { eosIds.insert(id) }
        return LoadedModel(directory: directory, network: network, tokenizer: tokenizer, chatTemplate: template,
                           bosToken: bos, eosToken: eos, eosTokenIds: eosIds)
    }

    static func readJSON(_ url: URL) -> [String: Any]? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }
}
