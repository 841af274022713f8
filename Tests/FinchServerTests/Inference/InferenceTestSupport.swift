import FinchAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// The tiny random models of Tests/FinchModelsTests/Fixtures/tiny (vocabulary 320, context 256).
func tinyModelFixture(_ arch: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("FinchModelsTests/Fixtures/tiny/\(arch)").path
}

extension TestServer {
    /// A server whose DATA/models holds the tiny llama fixture as `tiny`, the tiny qwen2 as `tiny-qwen`, and
    /// the llama with a long context window as `tiny-long`.
    static func withTinyModels() throws -> TestServer {
        let server = try TestServer()
        let models = server.directory + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: tinyModelFixture("llama"), toPath: models + "/tiny")
        try FileManager.default.copyItem(atPath: tinyModelFixture("qwen2"), toPath: models + "/tiny-qwen")
        // The same llama with a 4096-token window, for long prompts (tool descriptions).
        try FileManager.default.copyItem(atPath: tinyModelFixture("llama"), toPath: models + "/tiny-long")
        let config = models + "/tiny-long/config.json"
        let text = try String(contentsOfFile: config, encoding: .utf8)
            .replacingOccurrences(of: "\"max_position_embeddings\": 256", with: "\"max_position_embeddings\": 4096")
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        return server
    }
}

/// POSTs a JSON object (built from Swift values) and returns the response.
func postJSON(_ client: any TestClientProtocol, _ uri: String, _ body: [String: Any], key: String = TestServer.keyA,
              azure: Bool = false) async throws -> TestResponse {
    let data = try JSONSerialization.data(withJSONObject: body)
    var fields: HTTPFields = [.contentType: "application/json"]
    if azure {
        fields[HTTPField.Name("api-key")!] = key
    } else {
        fields[.authorization] = "Bearer \(key)"
    }
    return try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(bytes: data))
}

var userHello: [[String: Any]] { [["role": "user", "content": "Hello there, how are you?"]] }

/// The `data:` payloads of a server-sent-events body, checking the framing on the way: every event is
/// `data: …` followed by a blank line, and the last is `[DONE]`.
func ssePayloads(_ response: TestResponse) throws -> (events: [[String: Any]], done: Bool, framed: Bool) {
    let text = String(buffer: response.body)
    let blocks = text.components(separatedBy: "\n\n")
    var framed = text.hasSuffix("\n\n") && blocks.last == ""
    var events: [[String: Any]] = []
    var done = false
    for block in blocks.dropLast() {
        guard block.hasPrefix("data: "), !block.dropFirst(6).contains("\n") else { framed = false; continue }
        let payload = String(block.dropFirst(6))
        if payload == "[DONE]" { done = true; continue }
        if done { framed = false }
        let object = try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any] ?? [:]
        events.append(object)
    }
    return (events, done, framed)
}

extension Dictionary where Key == String, Value == Any {
    var choices: [[String: Any]] { self["choices"] as? [[String: Any]] ?? [] }
    var usage: [String: Any]? { self["usage"] as? [String: Any] }
    var error: [String: Any]? { self["error"] as? [String: Any] }
}

/// The assistant content of a non-streamed chat completion's first choice.
func content(_ object: [String: Any], choice: Int = 0) -> String? {
    let choices = object.choices
    guard choice < choices.count else { return nil }
    return (choices[choice]["message"] as? [String: Any])?["content"] as? String
}
