import Crypto
import FinchAPI
import FinchStore
import Foundation
import Hummingbird
import NIOPosix

/// The Uploads API: a large file sent in parts (`POST /uploads`, `/parts`, `/complete`, `/cancel`).
/// Parts are blobs of their own; completing concatenates them in the order given into an ordinary file.
struct UploadsController {
    let services: FinchServices
    let dialect: APIDialect

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        group.post("uploads", use: create)
        group.post("uploads/:upload_id/parts", use: addPart)
        group.post("uploads/:upload_id/complete", use: complete)
        group.post("uploads/:upload_id/cancel", use: cancel)
    }

    @Sendable func create(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CreateUploadRequest.self, context: context)
        guard let filename = body.filename, !filename.isEmpty else {
            throw APIError.invalidRequest("Missing required parameter: 'filename'.", param: "filename")
        }
        guard let purposeText = body.purpose else {
            throw APIError.invalidRequest("Missing required parameter: 'purpose'.", param: "purpose")
        }
        guard let purpose = FilePurpose(rawValue: purposeText), FilePurpose.uploadAPI.contains(purpose) else {
            let allowed = FilePurpose.uploadAPI.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw APIError.invalidRequest("'\(purposeText)' is not one of [\(allowed)] - 'purpose'", param: "purpose",
                                          code: "invalid_value")
        }
        guard let bytes = body.bytes else {
            throw APIError.invalidRequest("Missing required parameter: 'bytes'.", param: "bytes")
        }
        let maxBytes = services.configuration.maxUploadBytes
        guard bytes > 0, bytes <= maxBytes else {
            throw APIError.invalidRequest("Invalid 'bytes': \(bytes). An Upload must be between 1 and \(maxBytes) bytes.",
                                          param: "bytes", code: "invalid_value")
        }
        guard let mimeType = body.mimeType, !mimeType.isEmpty else {
            throw APIError.invalidRequest("Missing required parameter: 'mime_type'.", param: "mime_type")
        }
        if purpose.requiresJSONL, !filename.lowercased().hasSuffix(".jsonl") {
            throw APIError.invalidRequest("Invalid file format for \(purpose == .fineTune ? "Fine-Tuning" : "Batch") API. Must be .jsonl",
                                          param: "filename", code: "invalid_file_format")
        }
        let fileExpiry = try body.expiresAfter?.validated()
        let now = services.now
        let lifetime = dialect == .azure ? 2 * services.configuration.uploadLifetimeSeconds
                                         : services.configuration.uploadLifetimeSeconds
        let upload = StoredUpload(
            id: ObjectID.make(ObjectID.upload), tenant: context.tenant, filename: filename, purpose: purpose,
            bytes: bytes, mimeType: mimeType, createdAt: now, expiresAt: now + lifetime,
            fileExpiresAfterSeconds: fileExpiry?.seconds)
        try services.blobs.prepareUpload(upload.id)
        try await services.store.insertUpload(upload)
        return try JSONResponse.make(object(upload, file: nil))
    }

    @Sendable func addPart(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let upload = try await pendingUpload(context, action: "add a part to")
        let boundary = try MultipartFormReader.boundary(contentType: request.headers[.contentType])
        let received = try await services.store.uploadParts(uploadID: upload.id).reduce(0) { $0 + $1.bytes }
        let maxPart = min(services.configuration.maxPartBytes, upload.bytes - received)
        let form: MultipartFormReader.Form
        do {
            form = try await MultipartFormReader.read(request.body, boundary: boundary, blobs: services.blobs,
                                                      limits: .init(fileField: "data", maxFileBytes: maxPart))
        } catch let error as APIError where error.status == 413 {
            throw APIError.invalidRequest(
                "The part is too large: an Upload's parts are at most \(services.configuration.maxPartBytes) bytes each and may not exceed the \(upload.bytes) bytes declared (\(received) received so far).",
                param: "data", code: "invalid_value")
        }
        guard let data = form.file else {
            throw APIError.invalidRequest("Missing required parameter: 'data'.", param: "data")
        }
        let part = StoredUploadPart(id: ObjectID.make(ObjectID.uploadPart), uploadID: upload.id, createdAt: services.now,
                                    bytes: data.bytes)
        let path = services.blobs.path(forPart: part.id, of: upload.id)
        try data.writer.commit(to: path)
        do {
            try await services.store.insertUploadPart(part, now: services.now)
        } catch {
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        return try JSONResponse.make(UploadPartObject(id: part.id, createdAt: part.createdAt, uploadID: upload.id))
    }

    @Sendable func complete(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CompleteUploadRequest.self, context: context)
        let upload = try await pendingUpload(context, action: "complete")
        guard let partIDs = body.partIDs else {
            throw APIError.invalidRequest("Missing required parameter: 'part_ids'.", param: "part_ids")
        }
        let parts = try await orderedParts(partIDs, of: upload)
        let total = parts.reduce(0) { $0 + $1.bytes }
        guard total == upload.bytes else {
            throw APIError.invalidRequest(
                "The number of bytes uploaded (\(total)) does not match the number of bytes declared when the Upload was created (\(upload.bytes)).",
                param: "part_ids", code: "invalid_value")
        }
        let assembled = try await assemble(parts, of: upload)
        if let md5 = body.md5, !md5.isEmpty, md5.lowercased() != assembled.md5 {
            throw APIError.invalidRequest("The md5 checksum '\(md5)' does not match the uploaded bytes (\(assembled.md5)).",
                                          param: "md5", code: "invalid_value")
        }
        if let error = assembled.jsonlError { throw error }

        let now = services.now
        let file = StoredFile(id: ObjectID.make(ObjectID.file), tenant: context.tenant, filename: upload.filename,
                              purpose: upload.purpose, bytes: total, createdAt: now,
                              expiresAt: upload.fileExpiresAfterSeconds.map { now + $0 })
        try assembled.writer.commit(to: services.blobs.path(forFile: file.id))
        let completed: StoredUpload
        do {
            completed = try await services.store.completeUpload(id: upload.id, file: file, now: now)
        } catch {
            services.blobs.removeFile(id: file.id)
            throw error
        }
        services.blobs.removeUpload(upload.id)
        return try JSONResponse.make(object(completed, file: file.object))
    }

    @Sendable func cancel(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let id = try context.parameters.require("upload_id")
        guard try await services.store.upload(id: id, tenant: context.tenant) != nil else {
            throw APIError.noSuchObject("Upload", id: id, param: "upload_id")
        }
        let cancelled = try await services.store.finishUpload(id: id, tenant: context.tenant, as: .cancelled,
                                                              now: services.now)
        services.blobs.removeUpload(id)
        return try JSONResponse.make(object(cancelled, file: nil))
    }

    // MARK: Helpers

    private func pendingUpload(_ context: FinchRequestContext, action: String) async throws -> StoredUpload {
        let id = try context.parameters.require("upload_id")
        guard let upload = try await services.store.upload(id: id, tenant: context.tenant) else {
            throw APIError.noSuchObject("Upload", id: id, param: "upload_id")
        }
        let status = upload.status(at: services.now)
        guard status == .pending else {
            var error = APIError.invalidRequest("Cannot \(action) an Upload with status '\(status.rawValue)'.",
                                                param: "upload_id", code: "invalid_state")
            error.azureCode = "unexpectedEntityState"
            throw error
        }
        return upload
    }

    /// The parts named by `ids`, in that order; every id must be a distinct part of this upload.
    private func orderedParts(_ ids: [String], of upload: StoredUpload) async throws -> [StoredUploadPart] {
        guard !ids.isEmpty else {
            throw APIError.invalidRequest("'part_ids' must name at least one part.", param: "part_ids")
        }
        let parts = Dictionary(uniqueKeysWithValues: try await services.store.uploadParts(uploadID: upload.id).map { ($0.id, $0) })
        var seen = Set<String>()
        return try ids.map { id in
            guard let part = parts[id] else {
                throw APIError.invalidRequest("Part '\(id)' is not a part of Upload \(upload.id).", param: "part_ids",
                                              code: "invalid_value")
            }
            guard seen.insert(id).inserted else {
                throw APIError.invalidRequest("Part '\(id)' is listed more than once.", param: "part_ids", code: "invalid_value")
            }
            return part
        }
    }

    private struct Assembled: @unchecked Sendable {  // the writer moves from the I/O thread to this task once
        var writer: BlobWriter
        var md5: String
        var jsonlError: APIError?
    }

    /// Concatenates the parts into one blob off the cooperative pool, hashing (MD5) and, for JSON Lines
    /// purposes, validating as it goes.
    private func assemble(_ parts: [StoredUploadPart], of upload: StoredUpload) async throws -> Assembled {
        let blobs = services.blobs
        return try await NIOThreadPool.singleton.runIfActive {
            let writer = try blobs.makeWriter()
            var hasher = Insecure.MD5()
            var validator = upload.purpose.requiresJSONL ? JSONLValidator() : nil
            for part in parts {
                try writer.append(contentsOf: blobs.path(forPart: part.id, of: upload.id)) { chunk in
                    hasher.update(bufferPointer: chunk)
                    validator?.consume(chunk)
                }
            }
            let md5 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            return Assembled(writer: writer, md5: md5, jsonlError: validator?.finish())
        }
    }

    private func object(_ upload: StoredUpload, file: OpenAIFile?) -> UploadObject {
        UploadObject(id: upload.id, bytes: upload.bytes, createdAt: upload.createdAt, expiresAt: upload.expiresAt,
                     filename: upload.filename, purpose: upload.purpose, status: upload.status(at: services.now), file: file)
    }
}
