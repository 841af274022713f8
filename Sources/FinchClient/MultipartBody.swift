import Foundation

/// A `multipart/form-data` body (form fields, then one file) written to a temporary file, so URLSession
/// streams a file of any size from disk instead of holding it in memory.
struct MultipartBody: Sendable {
    let boundary: String
    /// The temporary file holding the whole body; the caller calls `remove()` when the request is done.
    let url: URL
    let byteCount: Int64

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    /// Writes `fields` and the file at `path` (sent as field `fileField` with its own name).
    init(fields: [(name: String, value: String)], fileField: String, path: String) throws(ClientError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let input = FileHandle(forReadingAtPath: path) else {
            throw .invalidArgument("Cannot read the file '\(path)'.")
        }
        defer { try? input.close() }
        boundary = "finch-" + UUID().uuidString
        url = FileManager.default.temporaryDirectory.appendingPathComponent("finch-upload-\(UUID().uuidString).multipart")
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let output = FileHandle(forWritingAtPath: url.path) else {
            throw .invalidArgument("Cannot write a temporary file in \(FileManager.default.temporaryDirectory.path).")
        }
        defer { try? output.close() }
        let filename = Self.quoted((path as NSString).lastPathComponent)
        var head = ""
        for field in fields {
            head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(field.name))\"\r\n\r\n\(field.value)\r\n"
        }
        head += "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quoted(fileField))\"; filename=\"\(filename)\"\r\n"
        head += "Content-Type: application/octet-stream\r\n\r\n"
        let tail = "\r\n--\(boundary)--\r\n"
        do {
            try output.write(contentsOf: Data(head.utf8))
            var copied: Int64 = 0
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                try output.write(contentsOf: chunk)
                copied += Int64(chunk.count)
            }
            try output.write(contentsOf: Data(tail.utf8))
            byteCount = Int64(head.utf8.count) + copied + Int64(tail.utf8.count)
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw .invalidArgument("Cannot prepare the upload of '\(path)': \(error.localizedDescription)")
        }
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// A form-data name or filename: quotes and line breaks would end the header early.
    static func quoted(_ text: String) -> String {
        text.replacingOccurrences(of: "\"", with: "%22").replacingOccurrences(of: "\r", with: "%0D")
            .replacingOccurrences(of: "\n", with: "%0A")
    }
}
