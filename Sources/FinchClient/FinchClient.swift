import FinchAPI
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A decoded answer and the JSON it came from (`--json` prints the server's own bytes).
public struct Fetched<Value: Sendable>: Sendable {
    public let value: Value
    public let json: Data
}

/// A client of the OpenAI files and fine-tuning APIs, for Finch or any OpenAI-compatible server.
/// Every method throws `ClientError`; an API error carries the server's message.
public struct FinchClient: Sendable {
    let transport: HTTPTransport

    public init(settings: ClientSettings) {
        transport = HTTPTransport(settings: settings)
    }

    public var settings: ClientSettings { transport.settings }

    // MARK: Files

    /// `POST /files`: uploads the file at `path`, streamed from disk.
    public func uploadFile(path: String, purpose: String) async throws(ClientError) -> Fetched<OpenAIFile> {
        let body = try MultipartBody(fields: [(name: "purpose", value: purpose)], fileField: "file", path: path)
        defer { body.remove() }
        var request = transport.request("POST", ["files"])
        request.setValue(body.contentType, forHTTPHeaderField: "Content-Type")
        request.setValue(String(body.byteCount), forHTTPHeaderField: "Content-Length")
        let data = try await transport.upload(request, fromFile: body.url)
        return Fetched(value: try JSONDecoder.decodeAnswer(OpenAIFile.self, from: data), json: data)
    }

    /// A file id as given, or the id of the local file at that path after uploading it (`purpose`
    /// fine-tune). `uploaded` is the new file object when an upload happened.
    public func fileID(pathOrID: String, purpose: String = "fine-tune")
        async throws(ClientError) -> (id: String, uploaded: OpenAIFile?) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: pathOrID, isDirectory: &isDirectory), !isDirectory.boolValue else {
            return (pathOrID, nil)
        }
        let file = try await uploadFile(path: pathOrID, purpose: purpose).value
        return (file.id, file)
    }

    /// `GET /files`, newest first.
    public func listFiles(purpose: String? = nil, limit: Int? = nil, after: String? = nil)
        async throws(ClientError) -> Fetched<CursorPage<OpenAIFile>> {
        try await get(["files"], query: [("purpose", purpose), ("limit", limit.map(String.init)), ("after", after)])
    }

    public func file(_ id: String) async throws(ClientError) -> Fetched<OpenAIFile> {
        try await get(["files", id])
    }

    public func deleteFile(_ id: String) async throws(ClientError) -> DeletedObject {
        try await call("DELETE", ["files", id]).value
    }

    /// `GET /files/{id}/content`: the file's bytes.
    public func fileContent(_ id: String) async throws(ClientError) -> Data {
        try await transport.send(transport.request("GET", ["files", id, "content"]))
    }

    /// `GET /files/{id}/content` into the file at `path`: written under a temporary name next to it and
    /// renamed, so `path` is never a partial file. Returns the bytes written.
    @discardableResult
    public func downloadFile(_ id: String, to path: String) async throws(ClientError) -> Int64 {
        let temporary = try await transport.download(transport.request("GET", ["files", id, "content"]))
        let destination = URL(fileURLWithPath: path)
        let partial = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).partial-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: temporary)
            try? FileManager.default.removeItem(at: partial)
        }
        do {
            try FileManager.default.moveItem(at: temporary, to: partial)
            guard rename(partial.path, destination.path) == 0 else {
                throw ClientError.invalidArgument("Cannot write '\(path)': \(String(cString: strerror(errno))).")
            }
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber
            return size?.int64Value ?? 0
        } catch let error as ClientError {
            throw error
        } catch {
            throw .invalidArgument("Cannot write '\(path)': \(error.localizedDescription)")
        }
    }

    // MARK: Fine-tuning jobs

    public func createJob(_ job: NewFineTuningJob) async throws(ClientError) -> Fetched<FineTuningJob> {
        let body: Data
        do { body = try JSONEncoder().encode(job) } catch { throw .invalidArgument("Cannot encode the job request: \(error)") }
        return try await call("POST", ["fine_tuning", "jobs"], json: body)
    }

    /// `GET /fine_tuning/jobs`, newest first; `after` is the last id of the previous page.
    public func listJobs(limit: Int? = nil, after: String? = nil) async throws(ClientError) -> Fetched<HasMoreList<FineTuningJob>> {
        try await get(["fine_tuning", "jobs"], query: [("limit", limit.map(String.init)), ("after", after)])
    }

    public func job(_ id: String) async throws(ClientError) -> Fetched<FineTuningJob> {
        try await get(["fine_tuning", "jobs", id])
    }

    public func cancelJob(_ id: String) async throws(ClientError) -> FineTuningJob {
        try await call("POST", ["fine_tuning", "jobs", id, "cancel"]).value
    }

    public func pauseJob(_ id: String) async throws(ClientError) -> FineTuningJob {
        try await call("POST", ["fine_tuning", "jobs", id, "pause"]).value
    }

    public func resumeJob(_ id: String) async throws(ClientError) -> FineTuningJob {
        try await call("POST", ["fine_tuning", "jobs", id, "resume"]).value
    }

    /// `GET /fine_tuning/jobs/{id}/events`, newest first; `after` continues towards older events.
    public func jobEvents(_ id: String, limit: Int? = nil, after: String? = nil)
        async throws(ClientError) -> Fetched<HasMoreList<FineTuningJobEvent>> {
        try await get(["fine_tuning", "jobs", id, "events"], query: [("limit", limit.map(String.init)), ("after", after)])
    }

    /// `GET /fine_tuning/jobs/{id}/checkpoints`, newest first.
    public func jobCheckpoints(_ id: String, limit: Int? = nil) async throws(ClientError) -> CursorPage<FineTuningJobCheckpoint> {
        try await get(["fine_tuning", "jobs", id, "checkpoints"], query: [("limit", limit.map(String.init))]).value
    }

    // MARK: Plumbing

    func get<Value: Decodable & Sendable>(_ segments: [String], query: [(String, String?)] = [])
        async throws(ClientError) -> Fetched<Value> {
        try await call("GET", segments, query: query)
    }

    func call<Value: Decodable & Sendable>(_ method: String, _ segments: [String], query: [(String, String?)] = [],
                                           json: Data? = nil) async throws(ClientError) -> Fetched<Value> {
        let data = try await transport.send(transport.request(method, segments, query: query, json: json))
        return Fetched(value: try JSONDecoder.decodeAnswer(Value.self, from: data), json: data)
    }
}

/// `POST /fine_tuning/jobs` as the client sends it; unset fields are left out, so the server's
/// `"auto"` rules apply.
public struct NewFineTuningJob: Encodable, Sendable, Equatable {
    public var model: String
    public var trainingFile: String
    public var validationFile: String?
    public var suffix: String?
    public var seed: Int64?
    public var hyperparameters: Hyperparameters?

    public init(model: String, trainingFile: String, validationFile: String? = nil, suffix: String? = nil,
                seed: Int64? = nil, hyperparameters: Hyperparameters? = nil) {
        self.model = model
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.suffix = suffix
        self.seed = seed
        self.hyperparameters = hyperparameters
    }

    enum CodingKeys: String, CodingKey {
        case model, suffix, seed, hyperparameters
        case trainingFile = "training_file"
        case validationFile = "validation_file"
    }
}
