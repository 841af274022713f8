import FinchAPI
import FinchServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Azure OpenAI dialect under /openai")
struct AzureRouteTests {
    static let version = "api-version=2024-10-21"

    func azureHeaders(_ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[HTTPField.Name("api-key")!] = TestServer.keyA
        return fields
    }

    @Test("a request without api-version is a 400 in Azure's error shape")
    func missingVersion() async throws {
        let server = try TestServer()
        try await server.test { client in
            let response = try await client.execute(uri: "/openai/files", method: .get, headers: azureHeaders())
            #expect(response.status == .badRequest)
            let error = try jsonObject(response)["error"] as? [String: Any]
            #expect(error?["code"] as? String == "invalidPayload")
            #expect((error?["message"] as? String)?.contains("api-version") == true)
            #expect(error?["type"] == nil)
        }
    }

    @Test("create answers 201 with Location; list is {object, data}; errors use Azure codes")
    func filesDialect() async throws {
        let server = try TestServer()
        try await server.test { client in
            let created = try await client.execute(uri: "/openai/files?\(Self.version)", method: .post,
                                                   headers: azureHeaders(MultipartBody.headers),
                                                   body: MultipartBody.upload(purpose: "fine-tune", filename: "marv.jsonl",
                                                                              Array(marvLines.utf8)))
            #expect(created.status == .created)
            let file = try decode(OpenAIFile.self, created)
            #expect(created.headers[.location] == "/openai/files/\(file.id)?\(Self.version)")

            let list = try jsonObject(try await client.execute(uri: "/openai/files?\(Self.version)", method: .get, headers: azureHeaders()))
            #expect(Set(list.keys) == ["object", "data"])
            #expect((list["data"] as? [[String: Any]])?.first?["id"] as? String == file.id)

            let content = try await client.execute(uri: "/openai/files/\(file.id)/content?\(Self.version)", method: .get,
                                                   headers: azureHeaders())
            #expect(String(buffer: content.body) == marvLines)

            let missing = try await client.execute(uri: "/openai/files/file-nope?\(Self.version)", method: .get, headers: azureHeaders())
            #expect(missing.status == .notFound)
            let error = try jsonObject(missing)["error"] as? [String: Any]
            #expect(error?["code"] as? String == "notFound")

            let badLine = try await client.execute(uri: "/openai/files?\(Self.version)", method: .post,
                                                   headers: azureHeaders(MultipartBody.headers),
                                                   body: MultipartBody.upload(purpose: "fine-tune", filename: "x.jsonl",
                                                                              Array("{\"a\":1}\nnope\n".utf8)))
            #expect(badLine.status == .badRequest)
            #expect((try jsonObject(badLine)["error"] as? [String: Any])?["code"] as? String == "jsonlValidationFailed")

            let unauthorized = try await client.execute(uri: "/openai/files?\(Self.version)", method: .get,
                                                        headers: [HTTPField.Name("api-key")!: "wrong-key-000000"])
            #expect(unauthorized.status == .unauthorized)
            #expect((try jsonObject(unauthorized)["error"] as? [String: Any])?["code"] as? String == "unauthorized")

            let deleted = try await client.execute(uri: "/openai/files/\(file.id)?\(Self.version)", method: .delete,
                                                   headers: azureHeaders())
            #expect(deleted.status == .ok)
        }
    }
}
