import Crypto
import FinchAPI
import FinchServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Uploads API routes")
struct UploadsRouteTests {
    let key = headers(key: TestServer.keyA)
    let jsonKey = headers(key: TestServer.keyA, [.contentType: "application/json"])

    func createUpload(_ client: some TestClientProtocol, bytes: Int, filename: String = "big.jsonl",
                      purpose: String = "fine-tune") async throws -> TestResponse {
        try await client.execute(
            uri: "/v1/uploads", method: .post, headers: jsonKey,
            body: ByteBuffer(string: #"{"filename":"\#(filename)","purpose":"\#(purpose)","bytes":\#(bytes),"mime_type":"text/jsonl"}"#))
    }

    func addPart(_ client: some TestClientProtocol, _ uploadID: String, _ data: [UInt8]) async throws -> TestResponse {
        var body = MultipartBody()
        body.file("data", filename: "blob", data)
        return try await client.execute(uri: "/v1/uploads/\(uploadID)/parts", method: .post,
                                        headers: headers(key: TestServer.keyA, MultipartBody.headers), body: body.finished())
    }

    @Test("parts completed in the given order become an ordinary file, checked by md5")
    func completeInOrder() async throws {
        let server = try TestServer()
        let lines = marvLines.split(separator: "\n").map { Array(($0 + "\n").utf8) }
        let whole = lines[0] + lines[1]
        try await server.test { client in
            let upload = try decode(UploadObject.self, try await createUpload(client, bytes: whole.count))
            #expect(upload.id.hasPrefix("upload_"))
            #expect(upload.status == .pending)
            #expect(upload.file == nil)
            #expect(upload.expiresAt == server.now + 3600)

            // Sent second part first: complete's order decides.
            let second = try decode(UploadPartObject.self, try await addPart(client, upload.id, lines[1]))
            let first = try decode(UploadPartObject.self, try await addPart(client, upload.id, lines[0]))
            #expect(first.id.hasPrefix("part_") && first.uploadID == upload.id && first.object == "upload.part")

            let wrongMD5 = try await client.execute(uri: "/v1/uploads/\(upload.id)/complete", method: .post, headers: jsonKey,
                                                    body: ByteBuffer(string: #"{"part_ids":["\#(first.id)","\#(second.id)"],"md5":"00000000000000000000000000000000"}"#))
            #expect(wrongMD5.status == .badRequest)
            #expect(try errorBody(wrongMD5).param == "md5")

            let md5 = Insecure.MD5.hash(data: whole).map { String(format: "%02x", $0) }.joined()
            let completed = try await client.execute(uri: "/v1/uploads/\(upload.id)/complete", method: .post, headers: jsonKey,
                                                     body: ByteBuffer(string: #"{"part_ids":["\#(first.id)","\#(second.id)"],"md5":"\#(md5)"}"#))
            #expect(completed.status == .ok)
            let done = try decode(UploadObject.self, completed)
            #expect(done.status == .completed)
            let file = try #require(done.file)
            #expect(file.bytes == Int64(whole.count) && file.purpose == .fineTune && file.filename == "big.jsonl")

            let content = try await client.execute(uri: "/v1/files/\(file.id)/content", method: .get, headers: key)
            #expect(Array(content.body.readableBytesView) == whole)

            let again = try await client.execute(uri: "/v1/uploads/\(upload.id)/complete", method: .post, headers: jsonKey,
                                                 body: ByteBuffer(string: #"{"part_ids":["\#(first.id)"]}"#))
            #expect(again.status == .badRequest)
            #expect(try errorBody(again).message.contains("status 'completed'"))
        }
        #expect(!FileManager.default.fileExists(atPath: server.directory + "/uploads/" + "x"))
    }

    @Test("completing with the wrong byte count, an unknown or repeated part is a 400")
    func completeChecks() async throws {
        let server = try TestServer()
        try await server.test { client in
            let upload = try decode(UploadObject.self, try await createUpload(client, bytes: 10, filename: "a.bin", purpose: "user_data"))
            let part = try decode(UploadPartObject.self, try await addPart(client, upload.id, Array("12345".utf8)))
            for body in [#"{"part_ids":["\#(part.id)"]}"#, #"{"part_ids":["part_bogus"]}"#,
                         #"{"part_ids":["\#(part.id)","\#(part.id)"]}"#, #"{"part_ids":[]}"#, #"{}"#] {
                let response = try await client.execute(uri: "/v1/uploads/\(upload.id)/complete", method: .post,
                                                        headers: jsonKey, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response).param == "part_ids")
            }
            let tooMuch = try await addPart(client, upload.id, Array("123456".utf8))
            #expect(tooMuch.status == .badRequest)
            #expect(try errorBody(tooMuch).param == "data")
        }
    }

    @Test("a JSONL upload whose assembled lines are invalid is refused at completion")
    func completeValidatesJSONL() async throws {
        let server = try TestServer()
        let bad = Array("{\"a\": 1}\n{oops}\n".utf8)
        try await server.test { client in
            let upload = try decode(UploadObject.self, try await createUpload(client, bytes: bad.count))
            let part = try decode(UploadPartObject.self, try await addPart(client, upload.id, bad))
            let response = try await client.execute(uri: "/v1/uploads/\(upload.id)/complete", method: .post, headers: jsonKey,
                                                    body: ByteBuffer(string: #"{"part_ids":["\#(part.id)"]}"#))
            #expect(response.status == .badRequest)
            #expect(try errorBody(response).message.contains("Line 2"))
        }
        #expect(server.filesOnDisk().isEmpty)
    }

    @Test("a cancelled or expired upload takes no more parts; another tenant sees a 404")
    func cancelAndExpire() async throws {
        let server = try TestServer()
        try await server.test { client in
            let upload = try decode(UploadObject.self, try await createUpload(client, bytes: 5, filename: "a.bin", purpose: "user_data"))
            let other = try await client.execute(uri: "/v1/uploads/\(upload.id)/cancel", method: .post, headers: headers(key: TestServer.keyB))
            #expect(other.status == .notFound)
            let cancelled = try decode(UploadObject.self, try await client.execute(
                uri: "/v1/uploads/\(upload.id)/cancel", method: .post, headers: key))
            #expect(cancelled.status == .cancelled)
            let late = try await addPart(client, upload.id, Array("12345".utf8))
            #expect(late.status == .badRequest)
            #expect(try errorBody(late).message.contains("status 'cancelled'"))
            let twice = try await client.execute(uri: "/v1/uploads/\(upload.id)/cancel", method: .post, headers: key)
            #expect(twice.status == .badRequest)

            let expiring = try decode(UploadObject.self, try await createUpload(client, bytes: 5, filename: "b.bin", purpose: "user_data"))
            server.advance(seconds: 3601)
            let expired = try await addPart(client, expiring.id, Array("12345".utf8))
            #expect(expired.status == .badRequest)
            #expect(try errorBody(expired).message.contains("status 'expired'"))
        }
    }

    @Test("create checks every required field")
    func createChecks() async throws {
        let server = try TestServer()
        try await server.test { client in
            for (body, param) in [(#"{"purpose":"fine-tune","bytes":5,"mime_type":"text/jsonl"}"#, "filename"),
                                  (#"{"filename":"a.jsonl","bytes":5,"mime_type":"text/jsonl"}"#, "purpose"),
                                  (#"{"filename":"a.jsonl","purpose":"fine-tune-results","bytes":5,"mime_type":"text/jsonl"}"#, "purpose"),
                                  (#"{"filename":"a.jsonl","purpose":"fine-tune","mime_type":"text/jsonl"}"#, "bytes"),
                                  (#"{"filename":"a.jsonl","purpose":"fine-tune","bytes":0,"mime_type":"text/jsonl"}"#, "bytes"),
                                  (#"{"filename":"a.jsonl","purpose":"fine-tune","bytes":5}"#, "mime_type"),
                                  (#"{"filename":"a.txt","purpose":"fine-tune","bytes":5,"mime_type":"text/plain"}"#, "filename")] {
                let response = try await client.execute(uri: "/v1/uploads", method: .post, headers: jsonKey, body: ByteBuffer(string: body))
                #expect(response.status == .badRequest, "\(body)")
                #expect(try errorBody(response).param == param, "\(body)")
            }
        }
    }
}
