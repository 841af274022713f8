import FinchAPI
import Foundation
import Testing

@Suite("Wire format")
struct WireFormatTests {
    func json(_ value: some Encodable) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(value)) as? [String: Any] ?? [:]
    }

    @Test("an error body always carries message, type, param and code, with nulls")
    func errorBody() throws {
        let body = try json(ErrorResponse(.noSuchObject("File", id: "file-x")))
        let error = try #require(body["error"] as? [String: Any])
        #expect(Set(error.keys) == ["message", "type", "param", "code"])
        #expect(error["code"] is NSNull)
        #expect(error["message"] as? String == "No such File object: file-x")
    }

    @Test("a file omits the optional fields it does not have and uses snake_case")
    func fileObject() throws {
        let file = OpenAIFile(id: "file-1", bytes: 3, createdAt: 5, expiresAt: nil, filename: "a.jsonl", purpose: .fineTune,
                              status: .processed)
        #expect(Set(try json(file).keys) == ["id", "object", "bytes", "created_at", "filename", "purpose", "status"])
    }

    @Test("a pending upload says file: null")
    func uploadObject() throws {
        let upload = UploadObject(id: "upload_1", bytes: 3, createdAt: 1, expiresAt: 2, filename: "a", purpose: .batch,
                                  status: .pending, file: nil)
        #expect(try json(upload)["file"] is NSNull)
    }

    @Test("ids have their prefix and a random base-62 tail")
    func ids() {
        let id = ObjectID.make(ObjectID.file)
        #expect(id.hasPrefix("file-") && id.count == 29)
        #expect(id.dropFirst(5).allSatisfy { $0.isLetter || $0.isNumber })
        #expect(ObjectID.make(ObjectID.file) != id)
    }

    @Test("expires_after is checked against OpenAI's range and anchor")
    func expiresAfter() throws {
        #expect(throws: APIError.self) { try ExpiresAfter(anchor: "created_at", seconds: 60).validated() }
        #expect(throws: APIError.self) { try ExpiresAfter(anchor: "last_active_at", seconds: 3600).validated() }
        #expect(try ExpiresAfter(anchor: "created_at", seconds: 3600).validated().seconds == 3600)
    }
}
