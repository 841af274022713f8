import FinchAPI
import FinchServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Files API routes")
struct FilesRouteTests {
    @Test("a JSONL upload can be listed, retrieved, downloaded byte for byte and deleted")
    func fullCycle() async throws {
        let server = try TestServer()
        let content = Array(marvLines.utf8)
        try await server.test { client in
            let created = try await client.execute(
                uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                body: MultipartBody.upload(purpose: "fine-tune", filename: "marv.jsonl", content))
            #expect(created.status == .ok)
            #expect(created.headers[.contentType] == "application/json")
            #expect(created.headers[HTTPField.Name("x-request-id")!]?.hasPrefix("req_") == true)
            let file = try decode(OpenAIFile.self, created)
            #expect(file.id.hasPrefix("file-"))
            #expect(file.object == "file")
            #expect(file.bytes == Int64(content.count))
            #expect(file.filename == "marv.jsonl")
            #expect(file.purpose == .fineTune)
            #expect(file.status == .processed)
            #expect(file.createdAt == server.now)
            #expect(file.expiresAt == nil)

            let retrieved = try await client.execute(uri: "/v1/files/\(file.id)", method: .get, headers: headers(key: TestServer.keyA))
            #expect(try decode(OpenAIFile.self, retrieved) == file)

            let downloaded = try await client.execute(uri: "/v1/files/\(file.id)/content", method: .get,
                                                      headers: headers(key: TestServer.keyA))
            #expect(downloaded.status == .ok)
            #expect(Array(downloaded.body.readableBytesView) == content)

            let listed = try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: TestServer.keyA))
            let list = try jsonObject(listed)
            #expect(Set(list.keys) == ["object", "data", "first_id", "last_id", "has_more"])
            #expect(list["first_id"] as? String == file.id)
            #expect(list["has_more"] as? Bool == false)

            let deleted = try await client.execute(uri: "/v1/files/\(file.id)", method: .delete, headers: headers(key: TestServer.keyA))
            #expect(try decode(DeletedObject.self, deleted) == DeletedObject(id: file.id, object: "file", deleted: true))
            let gone = try await client.execute(uri: "/v1/files/\(file.id)", method: .get, headers: headers(key: TestServer.keyA))
            #expect(gone.status == .notFound)
            #expect(try errorBody(gone) == ErrorResponse.Body(message: "No such File object: \(file.id)", type: "invalid_request_error",
                                                  param: "id", code: nil))
        }
        #expect(server.filesOnDisk().isEmpty)
    }

    @Test("pagination with limit=1 walks every file once, newest first, and ends with has_more false")
    func pagination() async throws {
        let server = try TestServer()
        try await server.test { client in
            var ids: [String] = []
            for index in 0..<3 {
                let response = try await client.execute(
                    uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                    body: MultipartBody.upload(purpose: "user_data", filename: "n\(index).txt", Array("file \(index)".utf8)))
                ids.append(try decode(OpenAIFile.self, response).id)
            }
            var seen: [String] = []
            var after: String?
            while true {
                let uri = "/v1/files?limit=1" + (after.map { "&after=\($0)" } ?? "")
                let page = try decode(CursorPage<OpenAIFile>.self,
                                      try await client.execute(uri: uri, method: .get, headers: headers(key: TestServer.keyA)))
                seen += page.data.map(\.id)
                guard page.hasMore, let last = page.data.last?.id else { break }
                #expect(page.lastID == last)
                after = last
            }
            #expect(seen == ids.reversed())

            let ascending = try decode(CursorPage<OpenAIFile>.self, try await client.execute(
                uri: "/v1/files?order=asc&after=\(ids[0])", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(ascending.data.map(\.id) == Array(ids.dropFirst()))

            let filtered = try decode(CursorPage<OpenAIFile>.self, try await client.execute(
                uri: "/v1/files?purpose=fine-tune", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(filtered.data.isEmpty && filtered.hasMore == false && filtered.firstID == "")
        }
    }

    @Test("another tenant's file is a 404 on every route and absent from its list")
    func tenantIsolation() async throws {
        let server = try TestServer()
        try await server.test { client in
            let created = try await client.execute(
                uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                body: MultipartBody.upload(purpose: "fine-tune", filename: "marv.jsonl", Array(marvLines.utf8)))
            let id = try decode(OpenAIFile.self, created).id
            for (uri, method) in [("/v1/files/\(id)", HTTPRequest.Method.get), ("/v1/files/\(id)/content", .get),
                                  ("/v1/files/\(id)", .delete)] {
                let response = try await client.execute(uri: uri, method: method, headers: headers(key: TestServer.keyB))
                #expect(response.status == .notFound, "\(method) \(uri)")
            }
            let list = try decode(CursorPage<OpenAIFile>.self,
                                  try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: TestServer.keyB)))
            #expect(list.data.isEmpty)
            let cursor = try await client.execute(uri: "/v1/files?after=\(id)", method: .get, headers: headers(key: TestServer.keyB))
            #expect(cursor.status == .badRequest)
            let stillThere = try await client.execute(uri: "/v1/files/\(id)", method: .get, headers: headers(key: TestServer.keyA))
            #expect(stillThere.status == .ok)
        }
    }

    @Test("a file with expires_after disappears once it expires, and the sweeper removes its blob")
    func expiry() async throws {
        let server = try TestServer()
        let id = try await server.test { client in
            var body = MultipartBody()
            body.field("purpose", "user_data")
            body.field("expires_after[anchor]", "created_at")
            body.field("expires_after[seconds]", "3600")
            body.file(filename: "notes.txt", Array("hello".utf8))
            let created = try await client.execute(uri: "/v1/files", method: .post,
                                                   headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                                   body: body.finished())
            let file = try decode(OpenAIFile.self, created)
            #expect(file.expiresAt == server.now + 3600)
            server.advance(seconds: 3600)
            let gone = try await client.execute(uri: "/v1/files/\(file.id)", method: .get, headers: headers(key: TestServer.keyA))
            #expect(gone.status == .notFound)
            return file.id
        }
        #expect(server.services.blobs.fileExists(id: id))
        await ExpirySweeper(services: server.services, logger: .init(label: "test")).sweepOnce()
        #expect(!server.services.blobs.fileExists(id: id))
    }

    @Test("batch files expire after 30 days by default")
    func batchDefaultExpiry() async throws {
        let server = try TestServer()
        try await server.test { client in
            let created = try await client.execute(
                uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                body: MultipartBody.upload(purpose: "batch", filename: "requests.jsonl", Array("{\"custom_id\":\"1\"}\n".utf8)))
            #expect(try decode(OpenAIFile.self, created).expiresAt == server.now + 30 * 86_400)
        }
    }
}

@Suite("Fine-tune uploads from the legacy SDK")
struct LegacyUploadTests {
    @Test("a fine-tune file named without an extension (openai<1.0 sends 'file') is accepted when its lines are JSON")
    func extensionless() async throws {
        let server = try TestServer()
        try await server.test { client in
            let ok = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                              body: MultipartBody.upload(purpose: "fine-tune", filename: "file", Array(marvLines.utf8)))
            #expect(ok.status == .ok)
            #expect(try decode(OpenAIFile.self, ok).filename == "file")
            let bad = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                               body: MultipartBody.upload(purpose: "fine-tune", filename: "file", Array("not json\n".utf8)))
            #expect(bad.status == .badRequest)
            #expect(try errorBody(bad).message.contains("Line 1"))
            let wrong = try await client.execute(uri: "/v1/files", method: .post, headers: headers(key: TestServer.keyA, MultipartBody.headers),
                                                 body: MultipartBody.upload(purpose: "fine-tune", filename: "data.txt", Array(marvLines.utf8)))
            #expect(try errorBody(wrong).message == "Invalid file format for Fine-Tuning API. Must be .jsonl")
        }
    }
}
