import FinchAPI
import FinchServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Bad input gets a clear error and leaves nothing behind")
struct BadInputTests {
    struct Case: Sendable, CustomStringConvertible {
        var description: String
        var body: ByteBuffer
        var headers: HTTPFields = MultipartBody.headers
        var status: HTTPResponse.Status = .badRequest
        var param: String?
        var messageContains: String
    }

    static let cases: [Case] = [
        Case(description: "missing purpose", body: MultipartBody.upload(purpose: nil, filename: "a.jsonl", Array(marvLines.utf8)),
             param: "purpose", messageContains: "Missing required parameter: 'purpose'"),
        Case(description: "unknown purpose", body: MultipartBody.upload(purpose: "fine-tuning", filename: "a.jsonl", Array(marvLines.utf8)),
             param: "purpose", messageContains: "'fine-tuning' is not one of"),
        Case(description: "output-only purpose", body: MultipartBody.upload(purpose: "fine-tune-results", filename: "a.jsonl", Array(marvLines.utf8)),
             param: "purpose", messageContains: "is not one of"),
        Case(description: "missing file", body: { var b = MultipartBody(); b.field("purpose", "fine-tune"); return b.finished() }(),
             param: "file", messageContains: "Missing required parameter: 'file'"),
        Case(description: "wrong extension", body: MultipartBody.upload(purpose: "fine-tune", filename: "data.csv", Array(marvLines.utf8)),
             param: "file", messageContains: "Invalid file format for Fine-Tuning API. Must be .jsonl"),
        Case(description: "empty file", body: MultipartBody.upload(purpose: "fine-tune", filename: "a.jsonl", []),
             param: "file", messageContains: "File is empty"),
        Case(description: "invalid UTF-8", body: MultipartBody.upload(purpose: "fine-tune", filename: "a.jsonl",
                                                                       Array("{\"a\": 1}\n{\"b\": \"".utf8) + [0xC3, 0x28] + Array("\"}\n".utf8)),
             param: "file", messageContains: "Line 2: the line is not valid UTF-8"),
        Case(description: "a line that is not JSON", body: MultipartBody.upload(purpose: "fine-tune", filename: "a.jsonl",
                                                                                 Array((marvLines + "{\"messages\": [}\n").utf8)),
             param: "file", messageContains: "Invalid file format. Line 3: not a valid JSON object"),
        Case(description: "a line that is a JSON array", body: MultipartBody.upload(purpose: "fine-tune", filename: "a.jsonl", Array("[1, 2]\n".utf8)),
             param: "file", messageContains: "Line 1: not a valid JSON object (expected a JSON object"),
        Case(description: "malformed multipart", body: ByteBuffer(string: "--\(MultipartBody.boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune"),
             messageContains: "malformed"),
        Case(description: "not multipart", body: ByteBuffer(string: "{\"purpose\":\"fine-tune\"}"), headers: [.contentType: "application/json"],
             status: .unsupportedMediaType, messageContains: "multipart/form-data"),
        Case(description: "expires_after out of range", body: {
            var b = MultipartBody()
            b.field("purpose", "user_data"); b.field("expires_after[anchor]", "created_at"); b.field("expires_after[seconds]", "60")
            b.file(filename: "a.txt", Array("x".utf8)); return b.finished()
        }(), param: "expires_after[seconds]", messageContains: "between 3600"),
    ]

    @Test("each malformed upload is a 4xx in OpenAI's shape", arguments: cases)
    func rejectsUpload(_ testCase: Case) async throws {
        let server = try TestServer()
        try await server.test { client in
            let response = try await client.execute(uri: "/v1/files", method: .post,
                                                    headers: headers(key: TestServer.keyA, testCase.headers), body: testCase.body)
            #expect(response.status == testCase.status)
            let error = try errorBody(response)
            #expect(error.type == "invalid_request_error")
            #expect(error.param == testCase.param)
            #expect(error.message.contains(testCase.messageContains), "\(error.message)")
            let list = try decode(CursorPage<OpenAIFile>.self,
                                  try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: TestServer.keyA)))
            #expect(list.data.isEmpty)
        }
        #expect(server.filesOnDisk().isEmpty, "left behind: \(server.filesOnDisk())")
    }

    @Test("a file over the size limit is a 413 and nothing is kept")
    func oversize() async throws {
        let server = try TestServer(maxFileBytes: 1000)
        try await server.test { client in
            var body = MultipartBody()
            body.field("purpose", "user_data")
            body.file(filename: "big.bin", [UInt8](repeating: 7, count: 5000))
            // The Content-Length is under the early check's slack: the streaming limit must catch it.
            let response = try await client.execute(uri: "/v1/files", method: .post,
                                                    headers: headers(key: TestServer.keyA, MultipartBody.headers), body: body.finished())
            #expect(response.status == .contentTooLarge)
            #expect(try errorBody(response).message.contains("maximum size is 1000 bytes"))
        }
        #expect(server.filesOnDisk().isEmpty)
    }

    @Test("bogus ids and cursors: 404 for an unknown file, 400 for an unknown cursor, limit and order checked")
    func bogusIdentifiers() async throws {
        let server = try TestServer()
        try await server.test { client in
            for uri in ["/v1/files/file-doesnotexist", "/v1/files/file-doesnotexist/content", "/v1/files/../../etc/passwd"] {
                let response = try await client.execute(uri: uri, method: .get, headers: headers(key: TestServer.keyA))
                #expect(response.status == .notFound, "\(uri)")
                #expect(try errorBody(response).type == "invalid_request_error")
            }
            let delete = try await client.execute(uri: "/v1/files/file-nope", method: .delete, headers: headers(key: TestServer.keyA))
            #expect(delete.status == .notFound)
            for (query, param) in [("after=file-nope", "after"), ("limit=0", "limit"), ("limit=abc", "limit"),
                                   ("limit=10001", "limit"), ("order=sideways", "order")] {
                let response = try await client.execute(uri: "/v1/files?\(query)", method: .get, headers: headers(key: TestServer.keyA))
                #expect(response.status == .badRequest, "\(query)")
                #expect(try errorBody(response).param == param)
            }
        }
    }

    @Test("a missing key and an unknown key are 401s with OpenAI's exact bodies")
    func authentication() async throws {
        let server = try TestServer()
        try await server.test { client in
            let missing = try await client.execute(uri: "/v1/files", method: .get)
            #expect(missing.status == .unauthorized)
            let missingObject = try jsonObject(missing)["error"] as? [String: Any]
            #expect(missingObject?.keys.sorted() == ["code", "message", "param", "type"])
            #expect(try errorBody(missing) == ErrorResponse(APIError.missingAPIKey).error)
            #expect(try errorBody(missing).message.hasPrefix("You didn't provide an API key."))

            let unknown = try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "sk-unknown-key-123456"))
            #expect(unknown.status == .unauthorized)
            let error = try errorBody(unknown)
            #expect(error.code == "invalid_api_key")
            #expect(error.message == "Incorrect API key provided: sk-**************3456. You can find your API key at https://platform.openai.com/account/api-keys.")
        }
    }

    @Test("with no keys configured any bearer key is the local tenant, but a key is still required")
    func localMode() async throws {
        let server = try TestServer(keys: APIKeyRing())
        try await server.test { client in
            let ok = try await client.execute(uri: "/v1/files", method: .get, headers: headers(key: "anything"))
            #expect(ok.status == .ok)
            let missing = try await client.execute(uri: "/v1/files", method: .get)
            #expect(missing.status == .unauthorized)
        }
    }

    @Test("an unknown route is a 404 in OpenAI's shape")
    func unknownRoute() async throws {
        let server = try TestServer()
        try await server.test { client in
            let response = try await client.execute(uri: "/v1/nothing-here", method: .get, headers: headers(key: TestServer.keyA))
            #expect(response.status == .notFound)
            #expect(try errorBody(response).message == "Invalid URL (GET /v1/nothing-here)")
        }
    }

    @Test("a JSON body that does not parse is a 400 naming the problem")
    func invalidJSON() async throws {
        let server = try TestServer()
        try await server.test { client in
            let garbage = try await client.execute(uri: "/v1/uploads", method: .post,
                                                   headers: headers(key: TestServer.keyA, [.contentType: "application/json"]),
                                                   body: ByteBuffer(string: "{not json"))
            #expect(garbage.status == .badRequest)
            #expect(try errorBody(garbage).message.hasPrefix("We could not parse the JSON body of your request."))
            let wrongType = try await client.execute(uri: "/v1/uploads", method: .post,
                                                     headers: headers(key: TestServer.keyA, [.contentType: "application/json"]),
                                                     body: ByteBuffer(string: #"{"filename":"a.jsonl","purpose":"fine-tune","bytes":"ten","mime_type":"text/jsonl"}"#))
            #expect(wrongType.status == .badRequest)
            #expect(try errorBody(wrongType).param == "bytes")
        }
    }
}
