import FinchClient
import FinchServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging

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
    static func run<Value: Sendable>(key: String? = LiveFinch.key,
                                     _ body: @Sendable (FinchClient, String) async throws -> Value) async throws -> Value {
        let directory = NSTemporaryDirectory() + "finch-client-test-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tinyLlama, toPath: directory + "/models/tiny-llama")
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        configuration.apiKeys = try APIKeyRing.parse("\(Self.key)=org-a/proj-1")
        var logger = Logger(label: "finch-client-test")
        logger.logLevel = .warning
        let app = try buildApplication(configuration: configuration, logger: logger)
        return try await app.test(.live) { server in
            guard let port = server.port else { throw ClientError.transport("the live test server has no port") }
            let settings = ClientSettings(baseURL: URL(string: "http://localhost:\(port)/v1")!, apiKey: key)
            return try await body(FinchClient(settings: settings), directory)
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
