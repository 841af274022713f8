import FinchAPI
import FinchServer
import FinchTraining
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// `finch prepare-data`'s verdict against the server's: every file of the prepare-data corpus is uploaded through
/// the Files API, a job is created on it through the jobs API, the job worker validates it, and the job's status,
/// error and resolved hyperparameters must be what `DataReport` says.
@Suite("prepare-data: the server's file validation gives the report's verdict")
struct PrepareDataVerdictTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../FinchTrainingTests/Fixtures/prepare-data").standardized
    static let tinyLlama = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../FinchModelsTests/Fixtures/tiny/llama").standardized.path
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: corpus.path)) ?? [])
        .filter { $0.hasSuffix(".jsonl") }.sorted()

    static func report(_ training: String, validation: String? = nil) throws -> DataReport {
        try DataReport.make(TrainingConfiguration(
            modelDirectory: tinyLlama, trainingFile: corpus.appendingPathComponent(training).path,
            validationFile: validation.map { corpus.appendingPathComponent($0).path }, outputDirectory: ""),
            modelName: "tiny-llama", measure: false)
    }

    /// Uploads `name` as a client would. The Files API itself refuses a file with a line that is not a JSON object
    /// (or no line at all) before any job exists; then the report must reject it too, at the line the upload names, and
    /// the bytes are put behind an accepted upload so that the job's own validation is compared as well.
    func upload(_ name: String, _ server: TestServer, _ client: some TestClientProtocol, report: DataReport,
                role: (DataReport) -> DataReport.FileReport?) async throws -> String {
        let content = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent(name)))
        func post(_ bytes: [UInt8]) async throws -> TestResponse {
            try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                     body: MultipartBody.upload(purpose: "fine-tune", filename: name, bytes))
        }
        let response = try await post(content)
        if response.status == .ok { return try decode(OpenAIFile.self, response).id }

        #expect(response.status == .badRequest)
        #expect(!report.accepted, "\(name): the upload was refused but the report accepts it")
        let message = try errorBody(response).message
        let file = try #require(role(report))
        if let range = message.range(of: #"Line (\d+):"#, options: .regularExpression) {
            let line = Int(message[range].dropFirst(5).dropLast())
            // the upload checks that each line is a JSON object: invalid_json or data_type in the report
            let lines = (file.issues(.invalidJSON)?.lines ?? []) + (file.issues(.dataType)?.lines ?? [])
            #expect(lines.contains { $0 == line }, "\(name): \(message)")
        } else {
            #expect(file.issues(.noExamples) != nil, "\(name): \(message)")
        }
        let placeholder = try decode(OpenAIFile.self, try await post(Array(#"{"prompt": "a", "completion": " b"}"#.utf8))).id
        try Data(content).write(to: URL(fileURLWithPath: server.services.blobs.path(forFile: placeholder)))
        return placeholder
    }

    /// Creates a job on the files, lets the worker validate it, and compares with the report.
    func compare(_ training: String, validation: String? = nil) async throws {
        let report = try Self.report(training, validation: validation)
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let trainingID = try await upload(training, server, client, report: report, role: { $0.training })
            var body = #"{"model":"tiny-llama","training_file":"\#(trainingID)""#
            if let validation {
                let validationID = try await upload(validation, server, client, report: report, role: { $0.validation })
                body += #","validation_file":"\#(validationID)""#
            }
            let created = try decode(FineTuningJob.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs", method: .post, headers: headers(key: TestServer.keyA, [.contentType: "application/json"]),
                body: ByteBuffer(string: body + "}")))
            #expect(await JobWorker(services: server.services, logger: Logger(label: "test")).workOnce())
            let job = try decode(FineTuningJob.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(created.id)", method: .get, headers: headers(key: TestServer.keyA)))
            let files = training + (validation.map { " + " + $0 } ?? "")
            if report.accepted {
                #expect(job.status == .queued, "\(files): \(String(describing: job.error))")
                let h = try #require(report.hyperparameters)
                #expect(job.hyperparameters.nEpochs == .value(h.nEpochs), "\(files)")
                #expect(job.hyperparameters.batchSize == .value(h.batchSize), "\(files)")
                #expect(job.hyperparameters.learningRateMultiplier == .value((h.learningRateMultiplier * 1000).rounded() / 1000), "\(files)")
            } else {
                #expect(job.status == .failed, "\(files)")
                let expected = try #require(report.verdict.error)
                #expect(job.error?.code == expected.code, "\(files)")
                #expect(job.error?.param == expected.param, "\(files)")
                #expect(job.error?.message == expected.message, "\(files)")
            }
        }
    }

    @Test("every corpus file as a training file", arguments: files)
    func trainingFile(_ name: String) async throws {
        try await compare(name)
    }

    @Test("validation files: an error, an overlap warning, and a training error that comes first")
    func validationFiles() async throws {
        #expect(Self.files.count >= 20)
        try await compare("good_chat.jsonl", validation: "bad_weight.jsonl")
        try await compare("good_chat.jsonl", validation: "invalid_json.jsonl")
        try await compare("good_chat.jsonl", validation: "validation_overlap.jsonl")
        try await compare("missing_content.jsonl", validation: "bad_weight.jsonl")
    }
}
