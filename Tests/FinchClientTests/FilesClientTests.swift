import FinchAPI
import FinchClient
import Foundation
import Testing

@Suite("Files through the client against a live Finch")
struct FilesClientTests {
    @Test("upload, list, get, download and delete a training file")
    func roundTrip() async throws {
        try await LiveFinch.run { client, _ in
            let content = try Data(contentsOf: URL(fileURLWithPath: LiveFinch.marvTraining))
            let uploaded = try await client.uploadFile(path: LiveFinch.marvTraining, purpose: "fine-tune").value
            #expect(uploaded.id.hasPrefix("file-") && uploaded.filename == "marv_train.jsonl")
            #expect(uploaded.bytes == Int64(content.count) && uploaded.purpose == .fineTune)

            let listed = try await client.listFiles()
            #expect(listed.value.data.map(\.id) == [uploaded.id])
            #expect(String(decoding: listed.json, as: UTF8.self).contains("\"object\":\"list\""))
            #expect(try await client.listFiles(purpose: "batch").value.data.isEmpty)

            #expect(try await client.file(uploaded.id).value == uploaded)
            #expect(try await client.fileContent(uploaded.id) == content)

            let deleted = try await client.deleteFile(uploaded.id)
            #expect(deleted.deleted && deleted.id == uploaded.id)
            #expect(try await client.listFiles().value.data.isEmpty)
        }
    }

    @Test("a 24 MB file is uploaded whole (streamed from disk) and comes back byte for byte, in memory and into a file")
    func largeUpload() async throws {
        var bytes = [UInt8](repeating: 0, count: 24 << 20)
        for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index &* 2_654_435_761 >> 13) }
        let content = Data(bytes)
        try await LiveFinch.run { client, _ in
            try await LiveFinch.withTemporaryFile(named: "blob.bin", content) { path in
                let uploaded = try await client.uploadFile(path: path, purpose: "user_data").value
                #expect(uploaded.bytes == Int64(content.count))
                #expect(try await client.fileContent(uploaded.id) == content)
                let copy = path + ".copy"
                #expect(try await client.downloadFile(uploaded.id, to: copy) == Int64(content.count))
                #expect(FileManager.default.contents(atPath: copy) == content)
                // A failed download leaves the file as it was, and nothing else in its folder.
                await #expect(throws: ClientError.self) { try await client.downloadFile("file-nope", to: copy) }
                #expect(FileManager.default.contents(atPath: copy) == content)
                let folder = (path as NSString).deletingLastPathComponent
                #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["blob.bin", "blob.bin.copy"])
            }
        }
    }

    @Test("the server's error messages come back as they are: bad format, unknown id, wrong key")
    func errors() async throws {
        try await LiveFinch.run { client, _ in
            try await LiveFinch.withTemporaryFile(named: "notes.txt", Data("hello\n".utf8)) { path in
                let error = await #expect(throws: ClientError.self) { try await client.uploadFile(path: path, purpose: "fine-tune") }
                #expect(error?.status == 400 && error?.apiError?.code == "invalid_file_format")
                #expect(error?.description == "Invalid file format for Fine-Tuning API. Must be .jsonl (invalid_file_format, HTTP 400)")
            }
            let missing = await #expect(throws: ClientError.self) { try await client.file("file-nope") }
            #expect(missing?.status == 404 && missing?.description.contains("file-nope") == true)

            let local = await #expect(throws: ClientError.self) { try await client.uploadFile(path: "/no/such/file.jsonl", purpose: "fine-tune") }
            #expect(local?.description == "Cannot read the file '/no/such/file.jsonl'.")

            let stranger = FinchClient(settings: ClientSettings(baseURL: client.settings.baseURL, apiKey: "sk-wrong"))
            let refused = await #expect(throws: ClientError.self) { try await stranger.listFiles() }
            #expect(refused?.status == 401 && refused?.apiError?.message.contains("Incorrect API key") == true)
        }
    }

    @Test("no server listening: a transport error that says so")
    func noServer() async throws {
        let client = FinchClient(settings: ClientSettings(baseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: nil))
        let error = await #expect(throws: ClientError.self) { try await client.listFiles() }
        #expect(error?.description.hasPrefix("Request to http://127.0.0.1:9 failed: could not connect") == true)
        #expect(error?.isTransient == true)
    }
}
