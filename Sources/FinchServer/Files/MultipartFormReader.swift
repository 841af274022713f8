import FinchAPI
import FinchStore
import Foundation
import Hummingbird
import MultipartKit

/// Reads a `multipart/form-data` body as a stream (MultipartKit's push parser): small text fields
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
        let parser = MultipartParser(boundary: boundary)
        parser.onHeader = { name, value in state.header(name: name, value: value) }
        parser.onBody = { buffer in state.body(&buffer) }
        parser.onPartComplete = { state.partComplete() }

        for try await chunk in body {
            do {
                try parser.execute(chunk)
            } catch {
                state.fail(APIError.invalidRequest("The multipart/form-data body is malformed."))
            }
            if let failure = state.failure { throw failure }
        }
        return try state.finish()
    }
}

/// Mutable state behind the parser's callbacks; the first failure is kept and thrown by the reader.
private final class FormState {
    let blobs: LocalBlobStore
    let limits: MultipartFormReader.Limits
    var fields: [String: String] = [:]
    var file: MultipartFormReader.ReceivedFile?
    var jsonl: JSONLValidator?
    var failure: (any Error)?

    // The part being read.
    var inPart = false
    var partName: String?
    var partFilename: String?
    var partIsFile = false
    var fieldBytes: [UInt8] = []
    var completedParts = 0

    init(blobs: LocalBlobStore, limits: MultipartFormReader.Limits) {
        self.blobs = blobs
        self.limits = limits
    }

    func fail(_ error: any Error) {
        if failure == nil { failure = error }
    }

    func header(name: String, value: String) {
        guard failure == nil else { return }
        inPart = true
        guard name.lowercased() == "content-disposition" else { return }
        let parameters = HeaderParameters(value)
        partName = parameters["name"]
        partFilename = parameters["filename*"] ?? parameters["filename"]
    }

    func body(_ buffer: inout ByteBuffer) {
        guard failure == nil else { return }
        inPart = true
        if !partIsFile, partName == limits.fileField {
            startFile()
            if failure != nil { return }
        }
        if partIsFile, let file {
            if file.bytes + Int64(buffer.readableBytes) > limits.maxFileBytes {
                fail(APIError.tooLarge("File is too large. The maximum size is \(limits.maxFileBytes) bytes.",
                                       param: limits.fileField))
                return
            }
            buffer.withUnsafeReadableBytes { bytes in
                do { try file.writer.write(bytes) } catch { fail(error) }
                jsonl?.consume(bytes)
            }
        } else {
            fieldBytes.append(contentsOf: buffer.readableBytesView)
            if fieldBytes.count > limits.maxFieldBytes {
                fail(APIError.invalidRequest("The form field '\(partName ?? "")' is too long.", param: partName))
            }
        }
    }

    func partComplete() {
        guard failure == nil else { return }
        if partName == limits.fileField, !partIsFile { startFile() }  // an empty file
        if partIsFile {
            if var validator = jsonl {
                file?.jsonl = validator.finish().map { .invalid($0) } ?? .valid
            }
        } else if let name = partName {
            guard let text = String(validating: fieldBytes, as: UTF8.self) else {
                fail(APIError.invalidRequest("The form field '\(name)' is not valid UTF-8.", param: name))
                return
            }
            fields[name] = text
        }
        completedParts += 1
        inPart = false
        partName = nil
        partFilename = nil
        partIsFile = false
        fieldBytes.removeAll()
    }

    private func startFile() {
        guard file == nil else {
            fail(APIError.invalidRequest("Only one '\(limits.fileField)' field may be sent.", param: limits.fileField))
            return
        }
        do {
            let filename = String((partFilename ?? "upload").prefix(512))
            file = MultipartFormReader.ReceivedFile(filename: filename, writer: try blobs.makeWriter())
            jsonl = limits.validateJSONLWhen(filename) ? JSONLValidator() : nil
            partIsFile = true
        } catch {
            fail(error)
        }
    }

    func finish() throws -> MultipartFormReader.Form {
        if let failure { throw failure }
        guard !inPart, completedParts > 0 else {
            throw APIError.invalidRequest("The multipart/form-data body is malformed or truncated.")
        }
        return MultipartFormReader.Form(fields: fields, file: file)
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
