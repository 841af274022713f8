import FinchAPI
import FinchStore
import Foundation

/// Checks a `POST /fine_tuning/jobs` body and turns it into a new job. Malformed requests and unknown
/// files are 400s here; the contents of the files are checked later, by the worker, and fail the job.
struct JobRequestValidator {
    let services: FinchServices

    func makeJob(_ request: CreateFineTuningJobRequest, tenant: Tenant, now: Int64) async throws -> StoredJob {
        guard let model = request.model, !model.isEmpty else {
            throw APIError.invalidRequest("Missing required parameter: 'model'.", param: "model")
        }
        guard let trainingFile = request.trainingFile, !trainingFile.isEmpty else {
            throw APIError.invalidRequest("Missing required parameter: 'training_file'.", param: "training_file")
        }
        try await checkModel(model, tenant: tenant)
        try await checkFile(trainingFile, param: "training_file", tenant: tenant, now: now)
        if let validationFile = request.validationFile {
            try await checkFile(validationFile, param: "validation_file", tenant: tenant, now: now)
        }
        let suffix = try Self.suffix(request.suffix)
        let seed = try Self.seed(request.seed)
        let metadata = try Self.metadata(request.metadata)
        let integrations = try Self.integrations(request.integrations)
        let (method, hyperparameters) = try Self.method(request.method, hyperparameters: request.hyperparameters)
        let finch = try request.finch?.validated()

        return StoredJob(
            id: ObjectID.make(ObjectID.fineTuningJob), tenant: tenant, model: model, trainingFile: trainingFile,
            validationFile: request.validationFile, status: .validatingFiles, createdAt: now, seed: seed, suffix: suffix,
            hyperparameters: hyperparameters, method: method, integrations: integrations, metadata: metadata, finch: finch)
    }

    /// A base model in DATA/models (or an alias of one), or a fine-tuned model of this tenant to continue from.
    private func checkModel(_ model: String, tenant: Tenant) async throws {
        if services.models.baseModel(named: model) != nil { return }
        if model.hasPrefix("ft:"), try await services.store.succeededJob(fineTunedModel: model, tenant: tenant) != nil { return }
        throw APIError.invalidRequest(
            "Model \(model) is not available for fine-tuning or does not exist. Base models: \(services.models.baseModelNames().joined(separator: ", ")).",
            param: "model", code: "model_not_available")
    }

    private func checkFile(_ id: String, param: String, tenant: Tenant, now: Int64) async throws {
        guard let file = try await services.store.file(id: id, tenant: tenant, now: now) else {
            throw APIError.invalidRequest("invalid \(param): \(id). No such File object.", param: param, code: "invalid_file_id")
        }
        guard file.purpose == .fineTune else {
            throw APIError.invalidRequest(
                "File \(id) has purpose '\(file.purpose.rawValue)', but a \(param) must be uploaded with purpose 'fine-tune'.",
                param: param, code: "invalid_file_purpose")
        }
    }

    static func suffix(_ suffix: String?) throws(APIError) -> String? {
        guard let suffix else { return nil }
        guard (1...64).contains(suffix.count),
              suffix.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") })
        else {
            throw .invalidRequest("Invalid 'suffix': it must be 1 to 64 characters of a-z, A-Z, 0-9, '-' and '_'.",
                                  param: "suffix", code: "invalid_value")
        }
        return suffix
    }

    static func seed(_ seed: Int64?) throws(APIError) -> Int64 {
        guard let seed else { return Int64.random(in: 0...2_147_483_647) }
        guard (0...2_147_483_647).contains(seed) else {
            throw .invalidRequest("Invalid 'seed': \(seed). It must be between 0 and 2147483647.", param: "seed", code: "invalid_value")
        }
        return seed
    }

    static func metadata(_ metadata: [String: String]?) throws(APIError) -> [String: String]? {
        guard let metadata else { return nil }
        guard metadata.count <= 16 else {
            throw .invalidRequest("Invalid 'metadata': at most 16 key-value pairs are allowed.", param: "metadata", code: "invalid_value")
        }
        for (key, value) in metadata where key.isEmpty || key.count > 64 || value.count > 512 {
            throw .invalidRequest("Invalid 'metadata': keys are 1 to 64 characters and values at most 512 ('\(key.prefix(64))').",
                                  param: "metadata", code: "invalid_value")
        }
        return metadata
    }

    static func integrations(_ integrations: [JSONValue]?) throws(APIError) -> [JSONValue] {
        guard let integrations else { return [] }
        guard integrations.count <= 5 else {
            throw .invalidRequest("Invalid 'integrations': at most 5 are allowed.", param: "integrations", code: "invalid_value")
        }
        for (index, integration) in integrations.enumerated() {
            guard integration["type"]?.stringValue == "wandb" else {
                throw .invalidRequest("Invalid 'integrations[\(index)].type': only 'wandb' is supported.",
                                      param: "integrations[\(index)].type", code: "invalid_value")
            }
            guard let project = integration["wandb"]?["project"]?.stringValue, !project.isEmpty else {
                throw .invalidRequest("Missing required parameter: 'integrations[\(index)].wandb.project'.",
                                      param: "integrations[\(index)].wandb.project")
            }
        }
        return integrations
    }

    /// The method (supervised when omitted) and its hyperparameters, `"auto"` where not given.
    static func method(_ method: FineTuneMethod?, hyperparameters: Hyperparameters?) throws(APIError) -> (FineTuneMethod, Hyperparameters) {
        let type = method?.type ?? "supervised"
        switch type {
        case "supervised":
            if method?.supervised?.hyperparameters != nil, hyperparameters != nil {
                throw .invalidRequest("Give hyperparameters either in 'method.supervised.hyperparameters' or in the deprecated 'hyperparameters', not both.",
                                      param: "hyperparameters")
            }
            let given = method?.supervised?.hyperparameters ?? hyperparameters ?? Hyperparameters()
            let param = method?.supervised?.hyperparameters != nil ? "method.supervised.hyperparameters" : "hyperparameters"
            let resolved = try given.validated(param: param).withDefaults()
            return (FineTuneMethod(type: "supervised", supervised: .init(hyperparameters: resolved)), resolved)
        case "dpo", "reinforcement":
            throw .invalidRequest("The '\(type)' fine-tuning method is not supported yet by Finch; use 'supervised'.",
                                  param: "method.type", code: "unsupported_method")
        default:
            throw .invalidRequest("Invalid 'method.type': '\(type)'. Supported values are: 'supervised', 'dpo' and 'reinforcement'.",
                                  param: "method.type", code: "invalid_value")
        }
    }
}
