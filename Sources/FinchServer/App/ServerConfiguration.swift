import FinchAPI
import Foundation

/// Everything `finch serve` can be told.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// `DIR`: finch.sqlite, files/, uploads/, tmp/, models/, jobs/ (DESIGN §5).
    public var dataDirectory = "./finch-data"
    public var apiKeys = APIKeyRing()
    /// Largest file accepted by `POST /files` (OpenAI: 512 MB).
    public var maxFileBytes: Int64 = 512 << 20
    /// Largest upload assembled by the Uploads API (OpenAI: 8 GB) and largest part (64 MB).
    public var maxUploadBytes: Int64 = 8 << 30
    public var maxPartBytes: Int64 = 64 << 20
    /// How long an Upload stays open (OpenAI: 1 hour; Azure: 2 hours).
    public var uploadLifetimeSeconds: Int64 = 3600
    /// How often expired files and uploads are removed.
    public var sweepIntervalSeconds: Double = 60
    /// Bytes of model weights kept loaded for inference (`--model-memory`); idle models past it are
    /// unloaded, least recently used first. nil: no limit.
    public var modelMemoryBytes: Int64?

    /// Jobs trained at the same time by this server's worker (`--max-concurrent-jobs`).
    public var maxConcurrentJobs = 1

    public init() {}

    /// Refuses to serve other machines without keys: with no keys every caller would be the local tenant.
    public func validate() throws {
        if apiKeys.isEmpty && !Self.isLoopback(host) {
            throw ConfigurationError("""
                refusing to listen on \(host) without API keys: with no keys configured Finch accepts any key, \
                so it binds to loopback only. Set FINCH_API_KEYS or --api-keys-file, or use --host 127.0.0.1.
                """)
        }
        guard (0...65535).contains(port) else { throw ConfigurationError("--port \(port) is not a TCP port") }
        guard maxFileBytes > 0 else { throw ConfigurationError("--max-file-size must be positive") }
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    var databasePath: String { dataDirectory + "/finch.sqlite" }
}
