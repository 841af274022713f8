import FinchAPI
import FinchInference
import FinchModels
import Foundation
import Hummingbird

/// `GET /v1/models/{model}/export?format=peft|safetensors|gguf[&dtype=…]` (a Finch extension): the
/// model built into DATA/tmp, then streamed from disk — the GGUF file as is, a directory format as an
/// uncompressed tar — and deleted. Same visibility as retrieving the model: another tenant's
/// fine-tuned model is a 404.
struct ModelExportController {
    let services: FinchServices

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        group.get("models/:model/export", use: export)
    }

    @Sendable func export(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let raw = try context.parameters.require("model")
        let name = raw.removingPercentEncoding ?? raw
        let query = request.uri.queryParameters
        let (format, dtype) = try Self.parse(format: query["format"].map(String.init), dtype: query["dtype"].map(String.init))
        let found: ModelExportJob?
        do { found = try await ExportableModels.resolve(name, tenant: context.tenant, services: services) } catch let e as ExportError {
            throw Self.apiError(e)
        }
        guard let job = found else { throw ModelsController.notFound(name) }
        if format == .peft, job.adapterDirectory == nil {
            throw APIError.invalidRequest("\(ExportError.notAnAdapter(name))", param: "format", code: "invalid_value")
        }

        let workDirectory = URL(fileURLWithPath: services.configuration.dataDirectory)
            .appendingPathComponent("tmp").appendingPathComponent("export-\(UUID().uuidString)")
        let stem = Self.fileStem(name)
        let output = workDirectory.appendingPathComponent(format.isSingleFile ? stem + ".gguf" : stem)
        do {
            try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
            try await TrainingThread.run { try job.run(format: format, dtype: dtype, to: output) }
        } catch {
            try? FileManager.default.removeItem(at: workDirectory)
            if let e = error as? ExportError { throw Self.apiError(e) }
            throw error
        }
        return try Self.download(output, format: format, cleaningUp: workDirectory)
    }

    /// `format` is required; `dtype` is optional and must be one the format stores.
    static func parse(format: String?, dtype: String?) throws -> (ExportFormat, ExportDType?) {
        guard let formatText = format, !formatText.isEmpty else {
            throw APIError.invalidRequest("Missing required parameter: 'format' (one of peft, safetensors, gguf).", param: "format")
        }
        guard let format = ExportFormat(rawValue: formatText) else {
            throw APIError.invalidRequest("'\(formatText)' is not one of ['peft', 'safetensors', 'gguf'] - 'format'",
                                          param: "format", code: "invalid_value")
        }
        guard let dtypeText = dtype else { return (format, nil) }
        guard let dtype = ExportDType(rawValue: dtypeText), format.dtypes.contains(dtype) else {
            let allowed = format.dtypes.map { "'\($0.rawValue)'" }.joined(separator: ", ")
            throw APIError.invalidRequest("'\(dtypeText)' is not one of [\(allowed)] for format \(format.rawValue) - 'dtype'",
                                          param: "dtype", code: "invalid_value")
        }
        return (format, dtype)
    }

    /// A GGUF file or a tar of the directory, read in bounded chunks; the work directory goes afterwards.
    static func download(_ output: URL, format: ExportFormat, cleaningUp workDirectory: URL) throws -> Response {
        var headers: HTTPFields = [:]
        let filename: String
        let length: Int
        let send: @Sendable ((Data) async throws -> Void) async throws -> Void
        if format.isSingleFile {
            filename = output.lastPathComponent
            length = ((try? FileManager.default.attributesOfItem(atPath: output.path)[.size]) as? NSNumber)?.intValue ?? 0
            headers[.contentType] = "application/octet-stream"
            send = { emit in try await FileChunks.stream(output.path, length: length, emit) }
        } else {
            let archive = try UStarArchive(directory: output, root: output.lastPathComponent)
            filename = output.lastPathComponent + ".tar"
            length = archive.byteCount
            headers[.contentType] = "application/x-tar"
            send = { emit in try await archive.stream(emit) }
        }
        headers[.contentLength] = String(length)
        headers[.contentDisposition] = "attachment; filename=\"\(FilesController.quoted(filename))\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { try? FileManager.default.removeItem(at: workDirectory) }
            try await send { data in try await writer.write(ByteBuffer(bytes: data)) }
            try await writer.finish(nil)
        })
    }

    /// A file name made of the model name (`ft:base:org:suffix:id` → `ft-base-org-suffix-id`).
    static func fileStem(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "-" }).trimmingCharacters(in: ["."])
    }

    static func apiError(_ e: ExportError) -> APIError {
        switch e {
        case .notAnAdapter: .invalidRequest(e.description, param: "format", code: "invalid_value")
        case .unsupportedDType: .invalidRequest(e.description, param: "dtype", code: "invalid_value")
        case .unsupported: .invalidRequest(e.description, param: "format", code: "unsupported_model")
        case .invalidModel, .outputExists, .io:
            APIError(status: 500, message: e.description, type: "server_error", code: "export_failed", azureCode: "internalFailure")
        }
    }
}

/// Model names → the directories an export reads: a base model (or alias), or a tenant's fine-tuned
/// model or checkpoint with the root base it was trained on. Shared by the endpoint and `finch export`.
public enum ExportableModels {
    /// `tenant` nil looks through every tenant's models (the local command line).
    public static func resolve(_ name: String, tenant: Tenant?, services: FinchServices) async throws -> ModelExportJob? {
        if let directory = services.models.baseModel(named: name) {
            return ModelExportJob(baseDirectory: URL(fileURLWithPath: directory), name: name)
        }
        for (job, checkpoints) in try await services.store.fineTunedModels(tenant: tenant) {
            let directory = job.fineTunedModel == name
                ? services.modelFiles.modelDirectory(of: job.id) : checkpoints.first { $0.modelName == name }?.directory
            guard let directory else { continue }
            guard let lineage = try? await ModelLineage.resolve(job.model, tenant: job.tenant, services: services) else {
                throw ExportError.invalidModel("the base model \(job.model) of \(name) is no longer installed")
            }
            return ModelExportJob(baseDirectory: URL(fileURLWithPath: lineage.baseDirectory),
                                  fineTunedDirectory: URL(fileURLWithPath: directory), name: name)
        }
        return nil
    }
}
