import FinchAPI
import FinchServer
import FinchStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Models API routes")
struct ModelsRouteTests {
    let key = headers(key: TestServer.keyA)

    /// A succeeded job of tenant A with one checkpoint, made through the store.
    func succeededJob(_ server: TestServer) async throws -> (model: String, checkpoint: String) {
        let store = server.services.store
        let job = StoredJob(id: "ftjob-models1", tenant: Tenant(organization: "org-a", project: "proj-1"), model: "tiny-llama",
                            trainingFile: "file-x", validationFile: nil, status: .running, createdAt: server.now, seed: 1,
                            suffix: "marv", hyperparameters: Hyperparameters(), method: FineTuneMethod(type: "supervised"),
                            integrations: [], metadata: nil, finch: nil)
        try await store.insertJob(job, events: [])
        let model = "ft:tiny-llama:org-a:marv:models1"
        _ = try await store.insertCheckpoint(StoredCheckpoint(jobID: job.id, createdAt: server.now, modelName: model + ":ckpt-step-10",
                                                              stepNumber: 10, metrics: ["train_loss": 1.5], directory: "/nonexistent"),
                                             keep: 3)
        _ = try await store.transitionJob(id: job.id, tenant: nil, from: [.running], to: .succeeded,
                                          changes: JobChanges(finishedAt: server.now, fineTunedModel: model), events: [])
        return (model, model + ":ckpt-step-10")
    }

    @Test("the list holds base models, aliases, and the tenant's fine-tuned models and checkpoints")
    func list() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        try Data(#"{"gpt-4o-mini-2024-07-18": "tiny-llama", "ghost": "not-installed"}"#.utf8)
            .write(to: URL(fileURLWithPath: server.directory + "/model-aliases.json"))
        let (model, checkpoint) = try await succeededJob(server)
        try await server.test { client in
            let list = try jsonObject(try await client.execute(uri: "/v1/models", method: .get, headers: key))
            #expect(Set(list.keys) == ["object", "data"])
            let models = try decode(PlainList<ModelObject>.self, try await client.execute(uri: "/v1/models", method: .get, headers: key))
            #expect(models.data.map(\.id) == ["tiny-llama", "gpt-4o-mini-2024-07-18", model, checkpoint])
            #expect(models.data.map(\.ownedBy) == ["system", "system", "org-a", "org-a"])

            let retrieved = try decode(ModelObject.self, try await client.execute(uri: "/v1/models/\(checkpoint)", method: .get, headers: key))
            #expect(retrieved.id == checkpoint && retrieved.object == "model")

            let otherTenant = try decode(PlainList<ModelObject>.self, try await client.execute(
                uri: "/v1/models", method: .get, headers: headers(key: TestServer.keyB)))
            #expect(otherTenant.data.map(\.id) == ["tiny-llama", "gpt-4o-mini-2024-07-18"])
            let hidden = try await client.execute(uri: "/v1/models/\(model)", method: .get, headers: headers(key: TestServer.keyB))
            #expect(hidden.status == .notFound)
            #expect(try errorBody(hidden).code == "model_not_found")
        }
    }

    @Test("only fine-tuned models and checkpoints can be deleted, and then they are gone")
    func delete() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        let (model, checkpoint) = try await succeededJob(server)
        try await server.test { client in
            let base = try await client.execute(uri: "/v1/models/tiny-llama", method: .delete, headers: key)
            #expect(base.status == .forbidden)
            let foreign = try await client.execute(uri: "/v1/models/\(model)", method: .delete, headers: headers(key: TestServer.keyB))
            #expect(foreign.status == .notFound)
            let deleted = try decode(DeletedObject.self, try await client.execute(uri: "/v1/models/\(model)", method: .delete, headers: key))
            #expect(deleted == DeletedObject(id: model, object: "model", deleted: true))
            let gone = try await client.execute(uri: "/v1/models/\(model)", method: .get, headers: key)
            #expect(gone.status == .notFound)
            let again = try await client.execute(uri: "/v1/models/\(model)", method: .delete, headers: key)
            #expect(again.status == .notFound)
            _ = try decode(DeletedObject.self, try await client.execute(uri: "/v1/models/\(checkpoint)", method: .delete, headers: key))
            let models = try decode(PlainList<ModelObject>.self, try await client.execute(uri: "/v1/models", method: .get, headers: key))
            #expect(models.data.map(\.id) == ["tiny-llama"])
        }
    }

    @Test("Azure lists models in its own shape")
    func azure() async throws {
        let server = try TestServer()
        try server.installTinyModel()
        let (model, _) = try await succeededJob(server)
        try await server.test { client in
            var azure: HTTPFields = [:]
            azure[HTTPField.Name("api-key")!] = TestServer.keyA
            let list = try jsonObject(try await client.execute(uri: "/openai/models?api-version=2024-10-21", method: .get, headers: azure))
            let entries = try #require(list["data"] as? [[String: Any]])
            let fineTuned = try #require(entries.first { $0["id"] as? String == model })
            #expect(fineTuned["fine_tune"] as? String == "ftjob-models1")
            #expect(fineTuned["model"] as? String == "tiny-llama")
            #expect(fineTuned["created_at"] != nil && fineTuned["capabilities"] != nil)
        }
    }
}
