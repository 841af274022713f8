import FinchAPI
import FinchInference
import FinchStore
import Foundation

/// The long-lived pieces every controller shares.
public final class FinchServices: Sendable {
    public let configuration: ServerConfiguration
    public let store: any MetadataStore
    public let blobs: LocalBlobStore
    /// Loaded models for inference; the jobs system registers fine-tuned adapters here.
    public let modelHost: ModelHost
    public let models: BaseModelCatalog
    public let jobSignals = JobSignals()
    public let modelFiles: JobFiles
    /// Unix seconds now; tests move it to check expiry.
    let clock: @Sendable () -> Int64

    public init(configuration: ServerConfiguration, store: any MetadataStore, blobs: LocalBlobStore,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) {
        self.configuration = configuration
        self.store = store
        self.blobs = blobs
        self.modelHost = ModelHost(configuration: .init(
            modelsDirectory: URL(fileURLWithPath: configuration.dataDirectory + "/models"),
            memoryBudgetBytes: configuration.modelMemoryBytes,
            aliasesFile: URL(fileURLWithPath: configuration.dataDirectory + "/model-aliases.json")))
        self.models = BaseModelCatalog(dataDirectory: configuration.dataDirectory)
        self.modelFiles = JobFiles(dataDirectory: configuration.dataDirectory)
        self.clock = clock
    }

    /// Opens the embedded store and blob directory under `configuration.dataDirectory`.
    public static func open(_ configuration: ServerConfiguration,
                            clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) }) throws -> FinchServices {
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError("cannot create the data directory \(configuration.dataDirectory): \(error.localizedDescription)")
        }
        let store = try SQLiteStore(path: configuration.databasePath)
        let blobs = try LocalBlobStore(root: configuration.dataDirectory)
        return FinchServices(configuration: configuration, store: store, blobs: blobs, clock: clock)
    }

    var now: Int64 { clock() }
}
