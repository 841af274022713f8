import FinchAPI
import FinchStore
import Foundation
import Hummingbird

/// Reads a `multipart/form-data` body as a stream (`MultipartStreamParser`): small text fields
/// are collected, and the one binary field (`file`, or `data` for upload parts) is written straight
/// to a blob, so an upload of any size holds only the chunk in flight in memory.
struct MultipartFormReader {
    struct Limits {
        /// Name of the binary field.
        var fileField: String
        var maxFileBytes: Int64
        var maxFieldBytes = 64 << 10
        /// Check the file as JSON Lines while it streams (for `.jsonl` names).
        var validateJSONLWhen: (_ filename: String) -> Bool = { _ in false }
    }

    /// The binary field: its bytes are in `writer`, not yet committed.
    struct ReceivedFile {
        var filename: String
        var writer: BlobWriter
        var jsonl: JSONLVerdict = .notChecked
        var bytes: Int64 { writer.bytesWritten }
    }

    /// Whether the file was checked as JSON Lines while it streamed, and the outcome.
    enum JSONLVerdict {
        case notChecked
        case valid
        case invalid(APIError)
    }

    struct Form {
        var fields: [String: String]
        var file: ReceivedFile?
    }

    /// The boundary of a `multipart/form-data` content type, or a 415/400 error.
    static func boundary(contentType: String?) throws(APIError) -> String {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw .unsupportedMediaType(
                "Invalid content type '\(contentType ?? "")'. This endpoint expects 'multipart/form-data'.")
        }
        let parameters = HeaderParameters(contentType)
        guard let boundary = parameters["boundary"], !boundary.isEmpty, boundary.utf8.count <= 200 else {
            throw .invalidRequest("The multipart/form-data body has no boundary in its Content-Type header.")
        }
        return boundary
    }

    static func read(_ body: RequestBody, boundary: String, blobs: LocalBlobStore, limits: Limits) async throws -> Form {
        let state = FormState(blobs: blobs, limits: limits)
        var parser = MultipartStreamParser(boundary: boundary)
        for try await chunk in body {
            do {
                try chunk.withUnsafeReadableBytes { bytes in
                    try parser.feed(bytes) { event in try state.handle(event) }
                }
            } catch let error as MultipartStreamParser.SyntaxError {
                throw APIError.invalidRequest("The multipart/form-data body is malformed: \(error.reason).")
            }
            if parser.isComplete { break }
        }
        guard parser.isComplete else {
            throw APIError.invalidRequest("The multipart/form-data body is malformed or truncated: it has no closing boundary.")
        }
        return try state.finish()
    }
}

/// What the parts of a form add up to; the first error ends the read.
private final class FormState {
    let blobs: LocalBlobStore
    let limits: MultipartFormReader.Limits
    var fields: [String: String] = [:]
    var file: MultipartFormReader.ReceivedFile?
    var jsonl: JSONLValidator?

    // The part being read.
    var partName: String?
    var partIsFile = false
    var fieldBytes: [UInt8] = []

    init(blobs: LocalBlobStore, limits: MultipartFormReader.Limits) {
        self.blobs = blobs
        self.limits = limits
    }

    func handle(_ event: MultipartStreamParser.Event) throws {
        switch event {
        case .partStart(let headers):
            let disposition = headers.first { $0.name == "content-disposition" }.map { HeaderParameters($0.value) }
            partName = disposition?["name"]
            partIsFile = partName == limits.fileField
            fieldBytes.removeAll()
            if partIsFile { try startFile(filename: disposition?["filename*"] ?? disposition?["filename"]) }
        case .body(let bytes):
            if partIsFile, let file {
                guard file.bytes + Int64(bytes.count) <= limits.maxFileBytes else {
                    throw APIError.tooLarge("File is too large. The maximum size is \(limits.maxFileBytes) bytes.",
                                            param: limits.fileField)
                }
                try file.writer.write(bytes)
                jsonl?.consume(bytes)
            } else {
                fieldBytes.append(contentsOf: bytes)
                guard fieldBytes.count <= limits.maxFieldBytes else {
                    throw APIError.invalidRequest("The form field '\(partName ?? "")' is too long.", param: partName)
                }
            }
        case .partEnd:
            if partIsFile {
                if var validator = jsonl { file?.jsonl = validator.finish().map { .invalid($0) } ?? .valid }
            } else if let name = partName {
                guard let text = String(validating: fieldBytes, as: UTF8.self) else {
                    throw APIError.invalidRequest("The form field '\(name)' is not valid UTF-8.", param: name)
                }
                fields[name] = text
            }
            partName = nil
            partIsFile = false
        }
    }

    private func startFile(filename: String?) throws {
        guard file == nil else {
            throw APIError.invalidRequest("Only one '\(limits.fileField)' field may be sent.", param: limits.fileField)
        }
        let name = String((filename ?? "upload").prefix(512))
        file = MultipartFormReader.ReceivedFile(filename: name, writer: try blobs.makeWriter())
        jsonl = limits.validateJSONLWhen(name) ? JSONLValidator() : nil
    }

    func finish() throws -> MultipartFormReader.Form {
        MultipartFormReader.Form(fields: fields, file: file)
    }
}

/// `type/subtype; key=value; key="quoted value"` parameters of a header, keys lower-cased.
struct HeaderParameters {
    private var values: [String: String] = [:]

    init(_ header: String) {
        var rest = Substring(header)
        _ = Self.token(&rest, until: ";")  // the leading value (e.g. `form-data`)
        while !rest.isEmpty {
            rest = rest.drop { $0 == ";" || $0 == " " || $0 == "\t" }
            let key = Self.token(&rest, until: "=").trimmingCharacters(in: .whitespaces).lowercased()
            guard rest.first == "=" else { _ = Self.token(&rest, until: ";"); continue }
            rest = rest.dropFirst().drop { $0 == " " }
            var value: String
            if rest.first == "\"" {
                value = Self.quoted(&rest)
                _ = Self.token(&rest, until: ";")
            } else {
                value = Self.token(&rest, until: ";").trimmingCharacters(in: .whitespaces)
            }
            if key.hasSuffix("*") { value = Self.extendedValue(value) }  // RFC 5987: UTF-8''percent%20encoded
            if !key.isEmpty { values[key] = value }
        }
    }

    subscript(key: String) -> String? { values[key] }

    private static func token(_ rest: inout Substring, until separator: Character) -> String {
        let end = rest.firstIndex(of: separator) ?? rest.endIndex
        let token = String(rest[..<end])
        rest = rest[end...]
        return token
    }

    private static func quoted(_ rest: inout Substring) -> String {
        var value = ""
        var index = rest.index(after: rest.startIndex)
        while index < rest.endIndex, rest[index] != "\"" {
            if rest[index] == "\\", rest.index(after: index) < rest.endIndex { index = rest.index(after: index) }
            value.append(rest[index])
            index = rest.index(after: index)
        }
        rest = index < rest.endIndex ? rest[rest.index(after: index)...] : rest[rest.endIndex...]
        return value
    }

    private static func extendedValue(_ value: String) -> String {
        let parts = value.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return value }
        return String(parts[2]).removingPercentEncoding ?? value
    }
}
