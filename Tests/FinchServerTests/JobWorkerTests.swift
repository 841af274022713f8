import FinchAPI
import FinchServer
import FinchStore
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite("Job worker: file validation and the leased queue")
struct JobWorkerTests {
    static let marv = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/data/marv_train.jsonl").standardized

    func submit(_ server: TestServer, _ client: some TestClientProtocol, content: [UInt8]) async throws -> FineTuningJob {
        let upload = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                              body: MultipartBody.upload(purpose: "fine-tune", filename: "train.jsonl", content))
        let file = try decode(OpenAIFile.self, upload).id
        let created = try await client.execute(uri: "/v1/fine_tuning/jobs", method: .post,
                                               headers: headers(key: TestServer.keyA, [.contentType: "application/json"]),
                                               body: ByteBuffer(string: #"{"model":"tiny-llama","training_file":"\#(file)"}"#))
        return try decode(FineTuningJob.self, created)
    }

    func worker(_ server: TestServer) -> JobWorker {
        JobWorker(services: server.services, logger: Logger(label: "test"))
    }

    func job(_ client: some TestClientProtocol, _ id: String) async throws -> FineTuningJob {
        try decode(FineTuningJob.self, try await client.execute(uri: "/v1/fine_tuning/jobs/\(id)", method: .get,
                                                                  headers: headers(key: TestServer.keyA)))
    }

    @Test("a valid file moves the job to queued with its auto hyperparameters resolved to numbers")
    func validFile() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        let content = try [UInt8](Data(contentsOf: Self.marv))
        let examples = content.split(separator: UInt8(ascii: "\n")).count
        try await server.test { client in
            let created = try await submit(server, client, content: content)
            #expect(await worker(server).workOnce())
            let queued = try await job(client, created.id)
            #expect(queued.status == .queued)
            // The trainer's rules (FinchTraining.Hyperparameters): 150 examples → 3 epochs, batch 2, multiplier √2.
            #expect(examples == 150)
            #expect(queued.hyperparameters.nEpochs == .value(3))
            #expect(queued.hyperparameters.batchSize == .value(2))
            #expect(queued.hyperparameters.learningRateMultiplier == .value(1.414))
            let events = try decode(HasMoreList<FineTuningJobEvent>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(created.id)/events", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(events.data.map(\.message).reversed() == [
                "Created fine-tuning job: \(created.id)",
                "Validating training file: \(created.trainingFile)",
                "Files validated, moving job to queued state",
                "Job enqueued. Waiting for jobs ahead to complete. Queue number: 0.",
            ])
            #expect(await worker(server).workOnce() == false)  // nothing left to validate
        }
    }

    @Test("too few examples fail the job with invalid_n_examples")
    func tooFew() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try await server.test { client in
            let created = try await submit(server, client, content: Array(marvLines.utf8))
            await worker(server).workOnce()
            let failed = try await job(client, created.id)
            #expect(failed.status == .failed)
            #expect(failed.error?.code == "invalid_n_examples" && failed.error?.param == "training_file")
            #expect(failed.error?.message == "Training file has 2 example(s), but must have at least 10 examples")
            #expect(failed.finishedAt == server.now)
        }
    }

    @Test("a malformed example fails the job with invalid_training_file, naming the example")
    func malformed() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        var lines = try String(contentsOf: Self.marv, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = #"{"messages": [{"content": "no role here"}, {"role": "assistant", "content": "hi"}]}"#
        let content = Array(lines.joined(separator: "\n").utf8)
        try await server.test { client in
            let created = try await submit(server, client, content: content)
            await worker(server).workOnce()
            let failed = try await job(client, created.id)
            #expect(failed.status == .failed)
            #expect(failed.error?.code == "invalid_training_file")
            #expect(failed.error?.message.hasPrefix("The job failed due to an invalid training file. Invalid file format.") == true)
            #expect(failed.error?.message.contains("3") == true, "\(failed.error?.message ?? "")")
        }
    }

    @Test("a job whose worker stops renewing its lease goes back to the queue")
    func expiredLease() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        let content = try [UInt8](Data(contentsOf: Self.marv))
        try await server.test { client in
            let created = try await submit(server, client, content: content)
            await worker(server).workOnce()
            let store = server.services.store
            let claimed = try await store.claimJob(status: .queued, moveTo: .running, owner: "dead-worker", leaseUntil: server.now + 30)
            #expect(claimed?.id == created.id && claimed?.status == .running && claimed?.attempts == 1)
            #expect(try await store.claimJob(status: .queued, moveTo: .running, owner: "other", leaseUntil: server.now + 30) == nil)
            #expect(try await store.renewLease(jobID: created.id, owner: "someone-else", until: server.now + 60) == false)
            #expect(try await store.releaseExpiredLeases(now: server.now + 10).isEmpty)
            server.advance(seconds: 31)
            #expect(try await store.releaseExpiredLeases(now: server.now).map(\.id) == [created.id])
            #expect(try await job(client, created.id).status == .queued)
        }
    }
}

@Suite("Job worker: training")
struct JobTrainingTests {
    @Test("a queued job trains to a fine-tuned model with events, a checkpoint and a results file")
    func trainsToSuccess() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        let content = try [UInt8](Data(contentsOf: JobWorkerTests.marv))
        let key = headers(key: TestServer.keyA)
        try await server.test { client in
            let upload = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                                  body: MultipartBody.upload(purpose: "fine-tune", filename: "train.jsonl", content))
            let file = try decode(OpenAIFile.self, upload).id
            let created = try decode(FineTuningJob.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs", method: .post, headers: headers(key: TestServer.keyA, [.contentType: "application/json"]),
                body: ByteBuffer(string: #"{"model":"tiny-llama","training_file":"\#(file)","suffix":"marv","hyperparameters":{"n_epochs":1,"batch_size":16}}"#)))
            let worker = JobWorker(services: server.services, logger: Logger(label: "test"))
            await worker.workOnce()
            #expect(await worker.trainOnce())

            let job = try decode(FineTuningJob.self, try await client.execute(uri: "/v1/fine_tuning/jobs/\(created.id)", method: .get, headers: key))
            #expect(job.status == .succeeded, "\(String(describing: job.error))")
            let model = try #require(job.fineTunedModel)
            #expect(model == "ft:tiny-llama:org-a:marv:\(created.id.suffix(8))")
            #expect((job.trainedTokens ?? 0) > 0 && job.finishedAt != nil && job.error == nil)

            let results = try #require(job.resultFiles.first)
            let csv = String(buffer: try await client.execute(uri: "/v1/files/\(results)/content", method: .get, headers: key).body)
            let rows = csv.split(separator: "\n")
            #expect(rows.first == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy")
            #expect(rows.count == 1 + 10)  // 150 examples / 16 per step
            let resultFile = try decode(OpenAIFile.self, try await client.execute(uri: "/v1/files/\(results)", method: .get, headers: key))
            #expect(resultFile.purpose == .fineTuneResults)

            let events = try decode(HasMoreList<FineTuningJobEvent>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(created.id)/events?limit=100", method: .get, headers: key))
            let messages = events.data.map(\.message)
            #expect(messages.first == "The job has successfully completed")
            #expect(messages.contains("New fine-tuned model created: \(model)"))
            #expect(messages.contains("Fine-tuning job started"))
            let metrics = events.data.filter { $0.type == .metrics }
            #expect(metrics.count == 10)
            #expect(metrics.last?.message.hasPrefix("Step 1/10: training loss=") == true)
            #expect(metrics.first?.data?["total_steps"] == .number(10))

            let checkpoints = try decode(CursorPage<FineTuningJobCheckpoint>.self, try await client.execute(
                uri: "/v1/fine_tuning/jobs/\(created.id)/checkpoints", method: .get, headers: key))
            #expect(checkpoints.data.map(\.fineTunedModelCheckpoint) == ["\(model):ckpt-step-10"])
            #expect(checkpoints.data.first?.metrics["train_loss"] != nil)

            let models = try decode(PlainList<ModelObject>.self, try await client.execute(uri: "/v1/models", method: .get, headers: key))
            #expect(models.data.map(\.id).contains(model))
            #expect(FileManager.default.fileExists(atPath: server.directory + "/jobs/\(created.id)/model/adapter_model.safetensors"))
            // Servable at once, with its checkpoint; deleting the model stops serving it.
            #expect(await server.services.modelHost.exists(model))
            #expect(await server.services.modelHost.exists("\(model):ckpt-step-10"))
            _ = try await client.execute(uri: "/v1/models/\(model)", method: .delete, headers: key)
            #expect(await server.services.modelHost.exists(model) == false)
        }
    }
}

@Suite("Job worker: continuing a fine-tuned model")
struct ContinuedTrainingTests {
    @Test("a job on an ft: model starts from its adapter: its first loss is below the parent's first loss")
    func continuesFromParent() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        let content = try [UInt8](Data(contentsOf: JobWorkerTests.marv))
        let key = headers(key: TestServer.keyA)
        let json = headers(key: TestServer.keyA, [.contentType: "application/json"])
        try await server.test { client in
            let upload = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                                  body: MultipartBody.upload(purpose: "fine-tune", filename: "train.jsonl", content))
            let file = try decode(OpenAIFile.self, upload).id
            let worker = JobWorker(services: server.services, logger: Logger(label: "test"))
            func train(_ model: String, seed: Int) async throws -> (job: FineTuningJob, firstLoss: Double) {
                let created = try decode(FineTuningJob.self, try await client.execute(
                    uri: "/v1/fine_tuning/jobs", method: .post, headers: json,
                    body: ByteBuffer(string: #"{"model":"\#(model)","training_file":"\#(file)","seed":\#(seed),"hyperparameters":{"n_epochs":2,"batch_size":16,"learning_rate_multiplier":20}}"#)))
                await worker.workOnce()
                #expect(await worker.trainOnce())
                let job = try decode(FineTuningJob.self, try await client.execute(uri: "/v1/fine_tuning/jobs/\(created.id)", method: .get, headers: key))
                let csv = String(buffer: try await client.execute(uri: "/v1/files/\(try #require(job.resultFiles.first))/content",
                                                                  method: .get, headers: key).body)
                let firstLoss = try #require(Double(csv.split(separator: "\n")[1].split(separator: ",")[1]))
                return (job, firstLoss)
            }
            let parent = try await train("tiny-llama", seed: 3)
            #expect(parent.job.status == .succeeded)
            let parentModel = try #require(parent.job.fineTunedModel)
            let child = try await train(parentModel, seed: 3)
            #expect(child.job.status == .succeeded, "\(String(describing: child.job.error))")
            #expect(child.job.model == parentModel)
            #expect(child.job.fineTunedModel?.hasPrefix("ft:tiny-llama:org-a::") == true)
            #expect(child.firstLoss < parent.firstLoss)
            #expect(await server.services.modelHost.exists(try #require(child.job.fineTunedModel)))
        }
    }
}
