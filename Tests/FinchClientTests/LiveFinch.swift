import FinchClient
import FinchServer
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A real Finch — the whole application of `finch serve`, router and job worker — listening on a free
/// loopback port over a temporary data directory with the tiny llama fixture as base model `tiny-llama`.
/// The client under test talks to it over HTTP like to any remote server.
enum LiveFinch {
    static let key = "sk-client-test-0001"

    static let marvTraining = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/marv_train.jsonl").standardized.path

    static let tinyLlama = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../FinchModelsTests/Fixtures/tiny/llama").standardized.path

    /// Runs `body` with a client of a fresh server (sending `key`) and the server's data directory.
    /// The server listens on 127.0.0.1 port 0 (the port it picked is reported at start); the client uses
    /// that address, not `localhost`, which curl may also try as ::1 — where another process could listen
    /// on the same port number.
    static func run<Value: Sendable>(key: String? = LiveFinch.key,
                                     _ body: @Sendable (FinchClient, String) async throws -> Value) async throws -> Value {
        let directory = NSTemporaryDirectory() + "finch-client-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tinyLlama, toPath: directory + "/models/tiny-llama")
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = 0
        configuration.dataDirectory = directory
        configuration.apiKeys = try APIKeyRing.parse("\(Self.key)=org-a/proj-1")
        var logger = Logger(label: "finch-client-test")
        logger.logLevel = .critical  // a job cut short by the end of a test logs errors that are expected
        let ports = AsyncStream.makeStream(of: Int.self)
        let app = try buildApplication(configuration: configuration, logger: logger) { port in
            ports.continuation.yield(port)
            ports.continuation.finish()
        }
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            defer { group.cancelAll() }
            var started = ports.stream.makeAsyncIterator()
            guard let port = await started.next() else { throw ClientError.transport("the test server did not start") }
            let settings = ClientSettings(baseURL: URL(string: "http://127.0.0.1:\(port)/v1")!, apiKey: key)
            do {
                let value = try await body(FinchClient(settings: settings), directory)
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return value
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }

    /// A temporary file with `content`, removed after `body`.
    static func withTemporaryFile<Value>(named name: String, _ content: Data,
                                         _ body: (String) async throws -> Value) async throws -> Value {
        let folder = NSTemporaryDirectory() + "finch-client-file-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = folder + "/" + name
        try content.write(to: URL(fileURLWithPath: path))
        return try await body(path)
    }
}
