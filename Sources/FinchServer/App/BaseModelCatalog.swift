import Foundation

/// The base models a job can start from: one Hugging Face directory each under `DATA/models/NAME`
/// (with a config.json), plus aliases from `DATA/model-aliases.json` (`{"gpt-4o-mini-2024-07-18":
/// "SmolLM2-135M-Instruct", "curie": "…"}`) so unchanged OpenAI scripts run. Read on each call:
/// `finch models import` may add a model while the server runs.
public struct BaseModelCatalog: Sendable {
    public let modelsDirectory: String
    public let aliasesFile: String

    public init(dataDirectory: String) {
        modelsDirectory = dataDirectory + "/models"
        aliasesFile = dataDirectory + "/model-aliases.json"
    }

    /// The directory of the base model `name` (or of the model it is an alias of), if it exists.
    public func baseModel(named name: String) -> String? {
        let target = aliases()[name] ?? name
        guard !target.isEmpty, !target.contains("/"), !target.hasPrefix(".") else { return nil }
        let directory = modelsDirectory + "/" + target
        return FileManager.default.fileExists(atPath: directory + "/config.json") ? directory : nil
    }

    public func baseModelNames() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: modelsDirectory)) ?? []
        return entries.filter { FileManager.default.fileExists(atPath: modelsDirectory + "/" + $0 + "/config.json") }.sorted()
    }

    public func aliases() -> [String: String] {
        guard let data = FileManager.default.contents(atPath: aliasesFile),
              let aliases = try? JSONDecoder().decode([String: String].self, from: data) else { return [:] }
        return aliases
    }
}
