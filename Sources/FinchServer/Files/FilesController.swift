import FinchAPI
import FinchStore
import Foundation
import HTTPTypes
import Hummingbird

/// The Files API: `POST/GET /files`, `GET/DELETE /files/{id}`, `GET /files/{id}/content`,
/// in OpenAI's dialect (`/v1`) or Azure's (`/openai`, 201 + Location on create, plain lists).
struct FilesController {
    let services: FinchServices
    let dialect: APIDialect

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        group.post("files", use: create)
        group.get("files", use: list)
        group.get("files/:file_id", use: retrieve)
        group.delete("files/:file_id", use: delete)
        group.get("files/:file_id/content", use: content)
    }

    @Sendable func create(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let boundary = try MultipartFormReader.boundary(contentType: request.headers[.contentType])
        let maxBytes = services.configuration.maxFileBytes
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > maxBytes + (1 << 20) {
            throw APIError.tooLarge("File is too large. The maximum size is \(maxBytes) bytes.", param: "file")
        }
        let form = try await MultipartFormReader.read(
            request.body, boundary: boundary, blobs: services.blobs,
            limits: .init(fileField: "file", maxFileBytes: maxBytes,
                          validateJSONLWhen: Self.mayBeJSONL))

        let purpose = try Self.purpose(form.fields["purpose"])
        let expiresAfter = try Self.expiresAfter(anchor: form.fields["expires_after[anchor]"],
                                                 seconds: form.fields["expires_after[seconds]"])
        guard let received = form.file else {
            throw APIError.invalidRequest("Missing required parameter: 'file'.", param: "file")
        }
        try Self.check(received, purpose: purpose)

        let now = services.now
        let defaultLifetime: Int64? = purpose == .batch ? 30 * 86_400 : nil  // OpenAI: batch files expire after 30 days
        let file = StoredFile(
            id: ObjectID.make(ObjectID.file), tenant: context.tenant, filename: received.filename, purpose: purpose,
            bytes: received.bytes, createdAt: now,
            expiresAt: (expiresAfter?.seconds ?? defaultLifetime).map { now + $0 })
        try received.writer.commit(to: services.blobs.path(forFile: file.id))
        do {
            try await services.store.insertFile(file)
        } catch {
            services.blobs.removeFile(id: file.id)
            throw error
        }
        return try JSONResponse.created(file.object, dialect: dialect, location: "files/\(file.id)", request: request)
    }

    @Sendable func list(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let query = try ListQuery(request.uri.queryParameters, defaultLimit: 10_000, maxLimit: 10_000, allowsOrder: true)
        let purposeFilter = request.uri.queryParameters["purpose"].map(String.init)
        if let purposeFilter, !purposeFilter.isEmpty, FilePurpose(rawValue: purposeFilter) == nil {
            return try render(CursorPage<OpenAIFile>(data: [], firstID: "", lastID: "", hasMore: false))
        }
        let page = try await services.store.listFiles(
            tenant: context.tenant, purpose: purposeFilter.flatMap(FilePurpose.init(rawValue:)), order: query.order,
            after: query.after, limit: query.limit, now: services.now)
        let files = page.items.map(\.object)
        return try render(CursorPage(data: files, firstID: files.first?.id ?? "", lastID: files.last?.id ?? "",
                                     hasMore: page.hasMore))
    }

    @Sendable func retrieve(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try JSONResponse.make(try await existingFile(context).object)
    }

    @Sendable func delete(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let id = try context.parameters.require("file_id")
        guard try await services.store.deleteFile(id: id, tenant: context.tenant) else {
            throw APIError.noSuchObject("File", id: id)
        }
        services.blobs.removeFile(id: id)
        return try JSONResponse.make(DeletedObject(id: id, object: "file"))
    }

    @Sendable func content(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let file = try await existingFile(context)
        let body: ResponseBody
        do {
            body = try await FileIO().loadFile(path: services.blobs.path(forFile: file.id), context: context)
        } catch {
            throw APIError.noSuchObject("File", id: file.id)  // deleted while we looked
        }
        var headers: HTTPFields = [.contentType: "application/octet-stream"]
        headers[.contentLength] = String(file.bytes)
        headers[.contentDisposition] = "attachment; filename=\"\(Self.quoted(file.filename))\""
        return Response(status: .ok, headers: headers, body: body)
    }

    private func existingFile(_ context: FinchRequestContext) async throws -> StoredFile {
        let id = try context.parameters.require("file_id")
        guard let file = try await services.store.file(id: id, tenant: context.tenant, now: services.now) else {
            throw APIError.noSuchObject("File", id: id)
        }
        return file
    }

    private func render(_ page: CursorPage<OpenAIFile>) throws -> Response {
        dialect == .azure ? try JSONResponse.make(PlainList(data: page.data)) : try JSONResponse.make(page)
    }

    // MARK: Checks

    static func purpose(_ text: String?) throws(APIError) -> FilePurpose {
        guard let text, !text.isEmpty else {
            throw .invalidRequest("Missing required parameter: 'purpose'.", param: "purpose")
        }
        guard let purpose = FilePurpose(rawValue: text), purpose.isUploadable else {
            let allowed = FilePurpose.uploadable.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw .invalidRequest("'\(text)' is not one of [\(allowed)] - 'purpose'", param: "purpose", code: "invalid_value")
        }
        return purpose
    }

    static func expiresAfter(anchor: String?, seconds: String?) throws(APIError) -> ExpiresAfter? {
        if anchor == nil && seconds == nil { return nil }
        guard let anchor else {
            throw .invalidRequest("Missing required parameter: 'expires_after[anchor]'.", param: "expires_after[anchor]")
        }
        guard let seconds else {
            throw .invalidRequest("Missing required parameter: 'expires_after[seconds]'.", param: "expires_after[seconds]")
        }
        guard let value = Int64(seconds) else {
            throw .invalidRequest("Invalid value for 'expires_after[seconds]': expected an integer.",
                                  param: "expires_after[seconds]", code: "invalid_value")
        }
        return try ExpiresAfter(anchor: anchor, seconds: value).validated()
    }

    /// `.jsonl`, or no extension at all: the legacy SDK (openai<1.0) names every upload "file", and
    /// raw bytes arrive as "upload"; their content is checked as JSON Lines instead.
    static func mayBeJSONL(_ filename: String) -> Bool {
        let name = filename.lowercased()
        let base = (name as NSString).lastPathComponent
        return name.hasSuffix(".jsonl") || !base.contains(".")
    }

    /// The rules of the purpose: JSON Lines for fine-tune and batch, never empty.
    static func check(_ file: MultipartFormReader.ReceivedFile, purpose: FilePurpose) throws(APIError) {
        if purpose.requiresJSONL, !mayBeJSONL(file.filename) {
            let api = purpose == .fineTune ? "Fine-Tuning" : "Batch"
            throw .invalidRequest("Invalid file format for \(api) API. Must be .jsonl", param: "file",
                                  code: "invalid_file_format")
        }
        guard file.bytes > 0 else {
            throw .invalidRequest("File is empty. Please upload a file with content.", param: "file", code: "empty_file")
        }
        if purpose.requiresJSONL, case .invalid(let error) = file.jsonl { throw error }
    }

    static func quoted(_ filename: String) -> String {
        String(filename.map { $0 == "\"" || $0 == "\\" || $0.isNewline ? "_" : $0 })
    }
}

extension HTTPField.Name {
    static let contentDisposition = HTTPField.Name("Content-Disposition")!
}
