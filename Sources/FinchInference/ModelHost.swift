import FinchModels
import Foundation

/// The models a server answers with. Base models load once from `DATA/models/NAME` on first use and
/// are shared; names resolve through aliases; fine-tuned models are LoRA adapters registered on a base
/// (`registerAdapter`) and servable at once, without a restart. Loaded models past the memory budget
/// are unloaded when idle, least recently used first. Generations run on the shared compute thread.
///
/// ```swift
/// let host = ModelHost(configuration: .init(modelsDirectory: dataDir.appending(path: "models")))
/// try await host.registerAdapter(name: "ft:SmolLM2:org-a:marv:ftjob-1", base: "SmolLM2", directory: adapterDir)
/// let hosted = try await host.model(named: "ft:SmolLM2:org-a:marv:ftjob-1")
/// for try await update in host.generate(hosted, request) { … }
/// ```
public actor ModelHost {
    public nonisolated let configuration: ModelHostConfiguration

    struct Adapter: Sendable {
        let base: String
        let directory: URL
    }

    /// Aliases set at run time (`setAlias`), over the configured ones.
    private var aliases: [String: String] = [:]
    private var adapters: [String: Adapter] = [:]
    private var loaded: [String: HostedModel] = [:]
    private var loading: [String: Task<HostedModel, any Error>] = [:]
    private var generation: [String: Int] = [:]

    public init(configuration: ModelHostConfiguration) {
        self.configuration = configuration
    }

    // MARK: Names

    /// Makes `alias` another name for `target` (a base model, an adapter or another alias).
    public func setAlias(_ alias: String, for target: String) { aliases[alias] = target }

    /// Registers a fine-tuned model: the PEFT LoRA adapter in `directory` (adapter_config.json +
    /// adapter_model.safetensors) — or fully fine-tuned weights (config.json + *.safetensors) — on the base
    /// model `base` (a base name or an alias). It is servable at once and loads on its first request.
    /// Registering the same name and directory again does nothing; another directory replaces it.
    public func registerAdapter(name: String, base: String, directory: URL) throws {
        guard case .base(let baseName, _)? = try? resolve(base) else { throw ModelHostError.modelNotFound(base) }
        if let existing = adapters[name], existing.directory == directory, existing.base == baseName { return }
        try LoRAAdapter.validateFineTuned(directory)
        adapters[name] = Adapter(base: baseName, directory: directory)
        loaded[name] = nil
        generation[name, default: 0] += 1
    }

    /// The directory a registered fine-tuned model is served from.
    public func adapterDirectory(of name: String) -> URL? { adapters[name]?.directory }

    /// Whether `name` is a base model or an alias of one (not a fine-tuned model).
    public func isBaseModel(_ name: String) -> Bool {
        if case .base? = try? resolve(name) { return true }
        return false
    }

    /// Forgets a fine-tuned model (e.g. after `DELETE /v1/models/{id}`).
    public func unregisterAdapter(name: String) {
        adapters[name] = nil
        loaded[name] = nil
        generation[name, default: 0] += 1
    }

    private func currentAliases() -> [String: String] {
        configuration.currentAliases().merging(aliases) { _, runtime in runtime }
    }

    /// Whether `name` names something servable (without loading it).
    public func exists(_ name: String) -> Bool { (try? resolve(name)) != nil }

    /// Every servable name: base models on disk, registered adapters and aliases.
    public func availableNames() -> [String] {
        let fm = FileManager.default
        let bases = ((try? fm.contentsOfDirectory(atPath: configuration.modelsDirectory.path)) ?? [])
            .filter { resolveBase($0) != nil }
        let aliasNames = currentAliases().keys.filter { (try? resolve($0)) != nil }
        return Set(bases + adapters.keys + aliasNames).sorted()
    }

    /// The entry a requested name stands for.
    enum Target: Equatable {
        case base(name: String, directory: URL)
        case adapter(name: String, base: String, directory: URL)
        var key: String {
            switch self {
            case .base(let name, _), .adapter(let name, _, _): name
            }
        }
    }

    func resolve(_ requested: String) throws -> Target {
        let aliases = currentAliases()
        var name = requested
        var hops = 0
        while let next = aliases[name], adapters[name] == nil, hops < 8 {
            if resolveBase(name) != nil { break }
            name = next
            hops += 1
        }
        if let adapter = adapters[name] { return .adapter(name: name, base: adapter.base, directory: adapter.directory) }
        if let directory = resolveBase(name) { return .base(name: name, directory: directory) }
        throw ModelHostError.modelNotFound(requested)
    }

    /// DATA/models/NAME when it holds a config.json; nil for anything that could escape the directory.
    private func resolveBase(_ name: String) -> URL? {
        guard !name.isEmpty, !name.hasPrefix("."), !name.contains("/"), !name.contains("\\"), name.count <= 255 else {
            return nil
        }
        let dir = configuration.modelsDirectory.appendingPathComponent(name)
        return FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) ? dir : nil
    }

    // MARK: Loading

    /// The loaded model for `name`, loading it (off the cooperative pool) if needed. Concurrent requests
    /// for the same model share one load.
    public func model(named name: String) async throws -> HostedModel {
        let target = try resolve(name)
        let key = target.key
        if let hosted = loaded[key] {
            hosted.touch()
            return hosted
        }
        if let task = loading[key] { return try await task.value }
        let stamp = generation[key, default: 0]
        let task = Task { try await self.load(target) }
        loading[key] = task
        defer { loading[key] = nil }
        let hosted = try await task.value
        if generation[key, default: 0] == stamp { loaded[key] = hosted }
        evictIdle(keeping: key)
        return hosted
    }

    private func load(_ target: Target) async throws -> HostedModel {
        switch target {
        case .base(let name, let directory):
            evictIdle(keeping: nil, reserving: Self.estimatedBytes(directory))
            let model: LoadedModel
            do {
                model = try await Self.offPool { try LoadedModel.load(directory: directory) }
            } catch {
                throw ModelHostError.loadFailed(model: name, reason: "\(error)")
            }
            return HostedModel(name: name, baseName: name, adapterDirectory: nil, model: model,
                               bytes: HostedModel.weightBytes(model.network.weights))
        case .adapter(let name, let baseName, let directory):
            let base = try await model(named: baseName)
            let model: LoadedModel
            do {
                model = try await Self.offPool {
                    LoRAAdapter.isAdapter(directory)
                        ? try LoRAAdapter.load(directory: directory).served(on: base.model)
                        : try LoRAAdapter.loadFullWeights(directory: directory, base: base.model)
                }
            } catch let error as ModelHostError {
                throw error
            } catch {
                throw ModelHostError.loadFailed(model: name, reason: "\(error)")
            }
            // An adapter costs its A/B tensors; fully fine-tuned weights are their own network.
            let bytes = (model.network as? AdaptedNetwork)?.adapter.bytes
                ?? HostedModel.weightBytes(model.network.weights, excluding: base.model.network.weights)
            return HostedModel(name: name, baseName: base.name, adapterDirectory: directory, model: model, bytes: bytes)
        }
    }

    private static let loadQueue = DispatchQueue(label: "finch.model-load")

    /// Runs blocking work (file reads, weight widening) on a dedicated queue, not the cooperative pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            loadQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// fp32 bytes the safetensors of `directory` widen to (0 when unreadable: the load will say why).
    static func estimatedBytes(_ directory: URL) -> Int64 {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".safetensors") }
        var total: Int64 = 0
        for file in files {
            guard let st = try? SafeTensorsFile(path: directory.appendingPathComponent(file).path) else { continue }
            for entry in st.entries.values { total += Int64(entry.shape.reduce(1, *)) * 4 }
        }
        return total
    }

    // MARK: Memory

    /// Names and weight bytes of the loaded models, most recently used first.
    public func loadedModels() -> [(name: String, bytes: Int64)] {
        loaded.values.sorted { $0.lastUsed > $1.lastUsed }.map { ($0.name, $0.bytes) }
    }

    public var loadedBytes: Int64 { loaded.values.reduce(0) { $0 + $1.bytes } }

    /// Unloads idle models, least recently used first, until `reserving` more bytes fit the budget.
    func evictIdle(keeping key: String?, reserving extra: Int64 = 0) {
        guard let budget = configuration.memoryBudgetBytes else { return }
        var total = loadedBytes
        for hosted in loaded.values.sorted(by: { $0.lastUsed < $1.lastUsed }) where total + extra > budget {
            guard hosted.name != key, hosted.isIdle else { continue }
            // A base stays while one of its loaded adapters needs it.
            if hosted.adapterDirectory == nil, loaded.values.contains(where: { $0.baseName == hosted.name && $0 !== hosted }) {
                continue
            }
            loaded[hosted.name] = nil
            total -= hosted.bytes
        }
    }

    /// Unloads `name` if it is loaded and idle (returns whether it was unloaded).
    @discardableResult
    public func unload(_ name: String) -> Bool {
        guard let hosted = loaded[name], hosted.isIdle else { return false }
        loaded[name] = nil
        return true
    }

    // MARK: Generating

    /// Streams a generation. It waits its turn on the compute thread; ending the iteration early (or
    /// cancelling the consuming task) stops it before its next forward pass, and `onCancelled` then hears
    /// how many tokens it had generated.
    public nonisolated func generate(_ hosted: HostedModel, _ request: GenerationRequest,
                                     onCancelled: (@Sendable (_ completionTokens: Int) -> Void)? = nil)
        -> AsyncThrowingStream<GenerationUpdate, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream<GenerationUpdate, any Error>.makeStream()
        let flag = CancellationFlag()
        continuation.onTermination = { _ in flag.cancel() }
        hosted.beginUse()
        let session = GenerationSession(model: hosted.model, request: request, cancellation: flag) { update in
            continuation.yield(update)
        }
        ComputeScheduler.shared.submit(.init(session: session) { [weak self] error in
            hosted.endUse()
            switch error {
            case nil: continuation.finish()
            case is CancellationError:
                onCancelled?(session.completionTokens)
                continuation.finish()
            case let error?: continuation.finish(throwing: error)
            }
            if let self, self.configuration.memoryBudgetBytes != nil {
                Task { await self.evictIdle(keeping: nil) }
            }
        })
        return stream
    }
}
