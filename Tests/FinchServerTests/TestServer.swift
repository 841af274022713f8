import FinchAPI
import FinchServer
import FinchStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization

/// A Finch router over a fresh temporary data directory, two tenants' keys and a clock tests can move.
final class TestServer: Sendable {
    static let keyA = "sk-test-tenant-a-0001"
    static let keyB = "sk-test-tenant-b-0002"

    let directory: String
    let services: FinchServices
    private let time = TestClock()

    init(maxFileBytes: Int64 = 512 << 20, keys: APIKeyRing? = nil) throws {
        directory = NSTemporaryDirectory() + "finch-test-" + UUID().uuidString
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        configuration.maxFileBytes = maxFileBytes
        configuration.maxPartBytes = 1 << 20
        configuration.apiKeys = try keys ?? APIKeyRing.parse("\(Self.keyA)=org-a/proj-1,\(Self.keyB)=org-b")
        services = try FinchServices.open(configuration, clock: { [time] in time.now })
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    var now: Int64 { time.now }
    func advance(seconds: Int64) { time.advance(seconds) }

    /// Runs `body` against the router in memory.
    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        var logger = Logger(label: "finch-test")
        logger.logLevel = .warning
        let app = Application(router: buildRouter(services: services), logger: logger)
        return try await app.test(.router, body)
    }

    /// Installs the tiny llama fixture as base model `name` (DATA/models/NAME).
    func installTinyModel(named name: String = "tiny-llama") throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../FinchModelsTests/Fixtures/tiny/llama").standardized.path
        try FileManager.default.createDirectory(atPath: directory + "/models", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture, toPath: directory + "/models/" + name)
    }

    /// Names of the blobs and temporaries on disk (nothing half-written may be left).
    func filesOnDisk() -> [String] {
        ["files", "tmp"].flatMap { folder in
            ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/" + folder)) ?? []).map { folder + "/" + $0 }
        }
    }
}

/// Unix seconds that only move when a test says so.
final class TestClock: Sendable {
    private let seconds = Mutex<Int64>(1_800_000_000)
    var now: Int64 { seconds.withLock { $0 } }
    func advance(_ delta: Int64) { seconds.withLock { $0 += delta } }
}

/// Builds `multipart/form-data` bodies the way httpx (the openai SDK) and curl do.
struct MultipartBody {
    static let boundary = "finch-test-boundary-7d1c2a"
    private(set) var bytes: [UInt8] = []

    mutating func field(_ name: String, _ value: String) {
        append("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n")
    }

    mutating func file(_ name: String = "file", filename: String, _ content: [UInt8],
                       contentType: String = "application/octet-stream") {
        append("--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(filename)\"\r\nContent-Type: \(contentType)\r\n\r\n")
        bytes += content
        append("\r\n")
    }

    func finished() -> ByteBuffer {
        var all = bytes
        all += Array("--\(Self.boundary)--\r\n".utf8)
        return ByteBuffer(bytes: all)
    }

    private mutating func append(_ text: String) { bytes += Array(text.utf8) }

    static var headers: HTTPFields { [.contentType: "multipart/form-data; boundary=\(boundary)"] }

    /// A complete upload form: purpose + one file.
    static func upload(purpose: String?, filename: String, _ content: [UInt8]) -> ByteBuffer {
        var body = MultipartBody()
        if let purpose { body.field("purpose", purpose) }
        body.file(filename: filename, content)
        return body.finished()
    }
}

func headers(key: String, _ extra: HTTPFields = [:]) -> HTTPFields {
    var fields = extra
    fields[.authorization] = "Bearer \(key)"
    return fields
}

func decode<T: Decodable>(_ type: T.Type, _ response: TestResponse) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(buffer: response.body))
}

/// The error body as a client sees it.
func errorBody(_ response: TestResponse) throws -> ErrorResponse.Body {
    try decode(ErrorResponse.self, response).error
}

/// The JSON object of a response, untyped, to check exact keys.
func jsonObject(_ response: TestResponse) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any] ?? [:]
}

let marvLines = """
    {"messages": [{"role": "system", "content": "Marv is a factual chatbot that is also sarcastic."}, {"role": "user", "content": "What's the capital of France?"}, {"role": "assistant", "content": "Paris, as if everyone doesn't know that already."}]}
    {"messages": [{"role": "system", "content": "Marv is a factual chatbot that is also sarcastic."}, {"role": "user", "content": "Who wrote 'Romeo and Juliet'?"}, {"role": "assistant", "content": "Oh, just some guy named William Shakespeare. Ever heard of him?", "weight": 1}]}

    """
