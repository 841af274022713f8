import FinchAPI
import FinchServer
import FinchStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Fine-tuning jobs routes")
struct JobsRouteTests {
    let json = headers(key: TestServer.keyA, [.contentType: "application/json"])

    func uploadTrainingFile(_ client: some TestClientProtocol, key: String = TestServer.keyA,
                            purpose: String = "fine-tune") async throws -> String {
        let response = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: key, MultipartBody.headers),
                                                body: MultipartBody.upload(purpose: purpose, filename: "marv.jsonl", Array(marvLines.utf8)))
        return try decode(OpenAIFile.self, response).id
    }

    func createJob(_ client: some TestClientProtocol, _ body: String, uri: String = "/v1/fine_tuning/jobs",
                   headers requestHeaders: HTTPFields? = nil) async throws -> TestResponse {
        try await client.execute(uri: uri, method: .post, headers: requestHeaders ?? json, body: ByteBuffer(string: body))
    }

    @Test("a new job starts validating, with every required field, auto hyperparameters and a generated seed")
    func create() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let file = try await uploadTrainingFile(client)
            let response = try await createJob(client, #"{"model":"tiny-llama","training_file":"\#(file)","suffix":"marv","metadata":{"team":"a"}}"#)
            #expect(response.status == .ok)
            let object = try jsonObject(response)
            for key in ["id", "object", "created_at", "error", "fine_tuned_model", "finished_at", "hyperparameters", "model",
                        "organization_id", "result_files", "status", "trained_tokens", "training_file", "validation_file", "seed"] {
                #expect(object.keys.contains(key), "missing \(key)")
            }
            let job = try decode(FineTuningJob.self, response)
            #expect(job.id.hasPrefix("ftjob-") && job.object == "fine_tuning.job")
            #expect(job.status == .validatingFiles)
            #expect(job.organizationID == "org-a")
            #expect(job.hyperparameters == Hyperparameters(batchSize: .auto, learningRateMultiplier: .auto, nEpochs: .auto))
            #expect(job.method?.type == "supervised")
            #expect((0...2_147_483_647).contains(job.seed))
            #expect(job.fineTunedModel == nil && job.error == nil && job.resultFiles.isEmpty)
            #expect(job.userProvidedSuffix == "marv" && job.metadata == ["team": "a"])

            let events = try decode(HasMoreList<FineTuningJobEvent>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(job.id)/events", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(events.data.map(\.message) == ["Created fine-tuning job: \(job.id)"])
            #expect(events.data.first?.object == "fine_tuning.job.event" && events.hasMore == false)
        }
    }

    @Test("explicit hyperparameters, in method or the deprecated field, are kept; a seed is echoed")
    func hyperparameters() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let file = try await uploadTrainingFile(client)
            let viaMethod = try decode(FineTuningJob.self, try await createJob(client, #"{"model":"tiny-llama","training_file":"\#(file)","seed":42,"method":{"type":"supervised","supervised":{"hyperparameters":{"n_epochs":2,"batch_size":"auto","learning_rate_multiplier":0.5}}}}"#))
            #expect(viaMethod.hyperparameters.nEpochs == .value(2) && viaMethod.hyperparameters.learningRateMultiplier == .value(0.5))
            #expect(viaMethod.seed == 42)
            let deprecated = try decode(FineTuningJob.self, try await createJob(client, #"{"model":"tiny-llama","training_file":"\#(file)","hyperparameters":{"n_epochs":3}}"#))
            #expect(deprecated.hyperparameters.nEpochs == .value(3) && deprecated.hyperparameters.batchSize == .auto)
        }
    }

    @Test("a malformed request, an unknown model or file is a 400 naming the parameter")
    func createErrors() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let file = try await uploadTrainingFile(client)
            let other = try await uploadTrainingFile(client, purpose: "user_data")
            let foreign = try await uploadTrainingFile(client, key: TestServer.keyB)
            let cases: [(String, String)] = [
                (#"{"training_file":"\#(file)"}"#, "model"),
                (#"{"model":"gpt-nonexistent","training_file":"\#(file)"}"#, "model"),
                (#"{"model":"tiny-llama"}"#, "training_file"),
                (#"{"model":"tiny-llama","training_file":"file-nope"}"#, "training_file"),
                (#"{"model":"tiny-llama","training_file":"\#(foreign)"}"#, "training_file"),
                (#"{"model":"tiny-llama","training_file":"\#(other)"}"#, "training_file"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","validation_file":"file-nope"}"#, "validation_file"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","suffix":"bad:suffix"}"#, "suffix"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","suffix":""}"#, "suffix"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","seed":-1}"#, "seed"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","hyperparameters":{"n_epochs":0}}"#, "hyperparameters.n_epochs"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","hyperparameters":{"batch_size":"big"}}"#, "hyperparameters.batch_size"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","hyperparameters":{"learning_rate_multiplier":-1}}"#, "hyperparameters.learning_rate_multiplier"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","method":{"type":"dpo"}}"#, "method.type"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","method":{"type":"magic"}}"#, "method.type"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","integrations":[{"type":"wandb","wandb":{}}]}"#, "integrations[0].wandb.project"),
                (#"{"model":"tiny-llama","training_file":"\#(file)","finch":{"training_type":"half"}}"#, "finch.training_type"),
            ]
            for (body, param) in cases {
                let response = try await createJob(client, body)
                #expect(response.status == .badRequest, "\(body)")
                let error = try errorBody(response)
                #expect(error.param == param, "\(body): \(error.message)")
            }
            let list = try decode(HasMoreList<FineTuningJob>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(list.data.isEmpty)
        }
    }

    @Test("lists are newest first, paginate with after, filter on metadata and end with has_more false")
    func listing() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let file = try await uploadTrainingFile(client)
            var ids: [String] = []
            for index in 0..<3 {
                let job = try decode(FineTuningJob.self, try await createJob(
                    client, #"{"model":"tiny-llama","training_file":"\#(file)","metadata":{"n":"\#(index % 2)"}}"#))
                ids.append(job.id)
            }
            var seen: [String] = []
            var after: String?
            repeat {
                let page = try decode(HasMoreList<FineTuningJob>.self, try await client.execute(
                    uri: "/v1/fine_tuning/jobs?limit=1" + (after.map { "&after=\($0)" } ?? ""), method: .get,
                    headers: headers(key: TestServer.keyA)))
                seen += page.data.map(\.id)
                after = page.hasMore ? page.data.last?.id : nil
            } while after != nil
            #expect(seen == ids.reversed())
            let filtered = try decode(HasMoreList<FineTuningJob>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs?metadata%5Bn%5D=0", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(filtered.data.map(\.id) == [ids[2], ids[0]])
            let otherTenant = try decode(HasMoreList<FineTuningJob>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs", method: .get, headers: headers(key: TestServer.keyB)))
            #expect(otherTenant.data.isEmpty)
        }
    }

    @Test("cancel, pause and resume follow the state machine; illegal transitions are 400s, never 409")
    func transitions() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let file = try await uploadTrainingFile(client)
            let job = try decode(FineTuningJob.self, try await createJob(client, #"{"model":"tiny-llama","training_file":"\#(file)"}"#))
            let key = headers(key: TestServer.keyA)

            let pauseValidating = try await client.execute(uri: "/v1/fine_tuning/jobs/\(job.id)/pause", method: .post, headers: key)
            #expect(pauseValidating.status == .badRequest)
            #expect(try errorBody(pauseValidating).code == "invalid_job_state")

            _ = try await server.services.store.transitionJob(id: job.id, tenant: nil, from: [.validatingFiles], to: .queued,
                                                              changes: JobChanges(), events: [])
            let paused = try decode(FineTuningJob.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(job.id)/pause", method: .post, headers: key))
            #expect(paused.status == .paused)
            let resumed = try decode(FineTuningJob.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(job.id)/resume", method: .post, headers: key))
            #expect(resumed.status == .queued)

            let other = try await client.execute(uri: "/v1/fine_tuning/jobs/\(job.id)/cancel", method: .post,
                                                 headers: headers(key: TestServer.keyB))
            #expect(other.status == .notFound)

            let cancelled = try decode(FineTuningJob.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(job.id)/cancel", method: .post, headers: key))
            #expect(cancelled.status == .cancelled && cancelled.finishedAt == server.now)
            for action in ["cancel", "pause", "resume"] {
                let again = try await client.execute(uri: "/v1/fine_tuning/jobs/\(job.id)/\(action)", method: .post, headers: key)
                #expect(again.status == .badRequest, "\(action)")
            }
            let events = try decode(HasMoreList<FineTuningJobEvent>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(job.id)/events?limit=2", method: .get, headers: key))
            #expect(events.data.map(\.message) == ["Fine-tuning job cancelled", "Fine-tuning job resumed"])
            #expect(events.hasMore)

            let missing = try await client.execute(uri: "/v1/fine_tuning/jobs/ftjob-nope", method: .get, headers: key)
            #expect(missing.status == .notFound)
            #expect(try errorBody(missing).message == "No such FineTuningJob object: ftjob-nope")
            let checkpoints = try jsonObject(try await client.execute(uri: "/v1/fine_tuning/jobs/\(job.id)/checkpoints", method: .get, headers: key))
            #expect(checkpoints["has_more"] as? Bool == false && (checkpoints["data"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("Azure: 201 with Location, Azure's state names, DELETE of finished jobs only")
    func azure() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let file = try await uploadTrainingFile(client)
            var azure: HTTPFields = [.contentType: "application/json"]
            azure[HTTPField.Name("api-key")!] = TestServer.keyA
            let created = try await createJob(client, #"{"model":"tiny-llama","training_file":"\#(file)"}"#,
                                              uri: "/openai/fine_tuning/jobs?api-version=2024-10-21", headers: azure)
            #expect(created.status == .created)
            let object = try jsonObject(created)
            let id = try #require(object["id"] as? String)
            #expect(object["status"] as? String == "pending")
            #expect(created.headers[.location] == "/openai/fine_tuning/jobs/\(id)?api-version=2024-10-21")
            let early = try await client.execute(uri: "/openai/fine_tuning/jobs/\(id)?api-version=2024-10-21", method: .delete, headers: azure)
            #expect(early.status == .badRequest)
            #expect((try jsonObject(early)["error"] as? [String: Any])?["code"] as? String == "unexpectedEntityState")
            _ = try await client.execute(uri: "/openai/fine_tuning/jobs/\(id)/cancel?api-version=2024-10-21", method: .post, headers: azure)
            let deleted = try await client.execute(uri: "/openai/fine_tuning/jobs/\(id)?api-version=2024-10-21", method: .delete, headers: azure)
            #expect(deleted.status == .noContent)
            let gone = try await client.execute(uri: "/openai/fine_tuning/jobs/\(id)?api-version=2024-10-21", method: .get, headers: azure)
            #expect(gone.status == .notFound)
        }
    }
}
