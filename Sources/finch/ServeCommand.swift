import ArgumentParser
import FinchServer
import Foundation
import Logging

/// `finch serve`: the OpenAI-compatible HTTP server with its embedded SQLite store.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Start the OpenAI-compatible API server.",
        discussion: """
            Serves the OpenAI API under /v1 (point the openai SDK's base_url at http://HOST:PORT/v1) and Azure \
            OpenAI's dialect under /openai/...?api-version=. Stops gracefully on SIGINT or SIGTERM.

            API keys come from FINCH_API_KEYS="key1=org-a/proj-1,key2=org-b" and/or --api-keys-file (one \
            key=org[/project] per line). Each key's organization/project owns what it creates. With no keys \
            configured, any bearer key is the single local tenant and Finch binds to loopback addresses only.
            """
    )

    @Option(help: "Address to listen on. Without API keys only loopback addresses are allowed.")
    var host = "127.0.0.1"

    @Option(help: "TCP port to listen on (0 picks a free port, printed at start).")
    var port = 8080

    @Option(help: "Data directory: finch.sqlite, files/, uploads/, models/, jobs/.")
    var data = "./finch-data"

    @Option(help: "File of API keys, one 'key=org[/project]' per line ('#' starts a comment). Adds to FINCH_API_KEYS.")
    var apiKeysFile: String?

    @Option(help: "Largest file accepted by POST /v1/files, in bytes or with a unit (512MB, 1GiB).")
    var maxFileSize = "512MiB"

    @Option(help: "Memory for loaded models' weights (e.g. 4GiB); idle models past it are unloaded, least recently used first. Default: no limit.")
    var modelMemory: String?

    @Option(help: "Fine-tuning jobs trained at the same time (each uses every core; 1 is fastest per job).")
    var maxConcurrentJobs = 1

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.dataDirectory = data
        do {
            var keys = try APIKeyRing.parse(ProcessInfo.processInfo.environment["FINCH_API_KEYS"] ?? "")
            if let apiKeysFile { keys = try keys.merging(APIKeyRing.load(file: apiKeysFile)) }
            configuration.apiKeys = keys
            configuration.maxFileBytes = try ByteSize.parse(maxFileSize, option: "--max-file-size")
            guard maxConcurrentJobs >= 1 else { throw ConfigurationError("--max-concurrent-jobs must be at least 1") }
            configuration.maxConcurrentJobs = maxConcurrentJobs
            if let modelMemory { configuration.modelMemoryBytes = try ByteSize.parse(modelMemory, option: "--model-memory") }
            try configuration.validate()
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        guard let level = Logger.Level(rawValue: logLevel) else {
            throw ValidationError("--log-level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }

        var logger = Logger(label: "finch")
        logger.logLevel = level
        let (host, data) = (configuration.host, configuration.dataDirectory)
        let app = try buildApplication(configuration: configuration, logger: logger) { port in
            // Unbuffered, so scripts waiting for this line see it at once.
            FileHandle.standardOutput.write(Data("Finch is listening on http://\(host):\(port)/v1 (data: \(data))\n".utf8))
        }
        try await app.runService()
    }
}

/// `512MB`, `1GiB`, `1048576`: sizes as people write them.
enum ByteSize {
    static func parse(_ text: String, option: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        let unit = trimmed.dropFirst(digits.count).lowercased()
        let multipliers: [String: Int64] = [
            "": 1, "b": 1, "kb": 1_000, "mb": 1_000_000, "gb": 1_000_000_000,
            "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30,
        ]
        guard let value = Int64(digits), let multiplier = multipliers[unit], value > 0,
              value <= Int64.max / multiplier else {
            throw ConfigurationError("\(option) '\(text)' is not a size (e.g. 512MB, 1GiB, 1048576)")
        }
        return value * multiplier
    }
}
