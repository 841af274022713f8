import FinchModels
import Foundation
import Synchronization

/// Where the model host finds models and how much memory it may keep loaded.
public struct ModelHostConfiguration: Sendable {
    /// DATA/models: one HF directory per base model.
    public var modelsDirectory: URL
    /// Bytes of weights kept loaded; past it, idle models are unloaded least recently used first.
    /// nil: no limit.
    public var memoryBudgetBytes: Int64?
    /// Other names for models (`gpt-4o-mini` → `SmolLM2-135M-Instruct`), overriding those of `aliasesFile`.
    public var aliases: [String: String]
    /// A JSON object of aliases (`DATA/model-aliases.json`), read on each look-up so edits apply at once.
    public var aliasesFile: URL?

    public init(modelsDirectory: URL, memoryBudgetBytes: Int64? = nil, aliases: [String: String] = [:],
                aliasesFile: URL? = nil) {
        self.modelsDirectory = modelsDirectory
        self.memoryBudgetBytes = memoryBudgetBytes
        self.aliases = aliases
        self.aliasesFile = aliasesFile
    }

    /// The configured aliases over those of the aliases file.
    func currentAliases() -> [String: String] {
        var all: [String: String] = [:]
        if let aliasesFile, let data = FileManager.default.contents(atPath: aliasesFile.path),
           let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
            for (key, value) in object { if let target = value as? String { all[key] = target } }
        }
        all.merge(aliases) { _, configured in configured }
        return all
    }
}

public enum ModelHostError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No base model, adapter or alias has this name.
    case modelNotFound(String)
    /// The model exists but could not be loaded (broken files, unsupported architecture, …).
    case loadFailed(model: String, reason: String)
    /// An adapter directory that is not a PEFT LoRA adapter this host can apply.
    case invalidAdapter(String)

    public var description: String {
        switch self {
        case .modelNotFound(let name): "The model `\(name)` does not exist or you do not have access to it."
        case .loadFailed(let name, let reason): "The model `\(name)` could not be loaded: \(reason)"
        case .invalidAdapter(let reason): "invalid adapter: \(reason)"
        }
    }
}

/// A loaded model, shared by every request that names it. For a LoRA fine-tuned model, `model` runs the
/// base's network with the adapter added in its forward pass (`AdaptedNetwork`).
public final class HostedModel: Sendable {
    /// The name requests resolve to (a base model's directory name or a registered adapter name).
    public let name: String
    public let baseName: String
    public let adapterDirectory: URL?
    public let model: LoadedModel
    /// Bytes of weights this entry added: a LoRA adapter's A and B tensors (it shares the whole base).
    public let bytes: Int64

    struct Usage {
        var active = 0
        var lastUsed: UInt64 = 0
    }
    private let usage = Mutex(Usage())

    init(name: String, baseName: String, adapterDirectory: URL?, model: LoadedModel, bytes: Int64) {
        self.name = name
        self.baseName = baseName
        self.adapterDirectory = adapterDirectory
        self.model = model
        self.bytes = bytes
        touch()
    }

    /// The context window in tokens.
    public var contextLength: Int { model.config.maxPositionEmbeddings }

    /// Whether no generation is using this model.
    public var isIdle: Bool { usage.withLock { $0.active == 0 } }
    var lastUsed: UInt64 { usage.withLock { $0.lastUsed } }
    func touch() { usage.withLock { $0.lastUsed = DispatchTime.now().uptimeNanoseconds } }
    func beginUse() { usage.withLock { $0.active += 1; $0.lastUsed = DispatchTime.now().uptimeNanoseconds } }
    func endUse() { usage.withLock { $0.active -= 1; $0.lastUsed = DispatchTime.now().uptimeNanoseconds } }

    /// Bytes of the distinct tensor storages of `weights` not already in `shared`.
    static func weightBytes(_ weights: Weights, excluding shared: Weights? = nil) -> Int64 {
        var seen = Set<ObjectIdentifier>()
        if let shared {
            for t in shared.tensors.values { seen.insert(ObjectIdentifier(t.storage)) }
        }
        var total: Int64 = 0
        for t in weights.tensors.values where seen.insert(ObjectIdentifier(t.storage)).inserted {
            total += Int64(t.storage.count) * 4
        }
        return total
    }
}
