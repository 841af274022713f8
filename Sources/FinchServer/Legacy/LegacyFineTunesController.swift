import FinchAPI
import FinchStore
import Foundation
import HTTPTypes
import Hummingbird

/// The legacy fine-tunes API of openai<1.0 and the seed documents (`/v1/fine-tunes`): create, list,
/// retrieve, cancel, delete, events (`?stream=true` as server-sent events ending with `data: [DONE]`).
/// Each legacy fine-tune is an ordinary job underneath, known by an extra `ft-…` id.
struct LegacyFineTunesController {
    let services: FinchServices

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        group.post("fine-tunes", use: create)
        group.get("fine-tunes", use: list)
        group.get("fine-tunes/:fine_tune_id", use: retrieve)
        group.delete("fine-tunes/:fine_tune_id", use: delete)
        group.post("fine-tunes/:fine_tune_id/cancel", use: cancel)
        group.get("fine-tunes/:fine_tune_id/events", use: events)
    }

    @Sendable func create(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CreateLegacyFineTuneRequest.self, context: context)
        if let suffix = body.suffix, suffix.count > 40 {
            throw APIError.invalidRequest("Invalid 'suffix': it can be at most 40 characters.", param: "suffix", code: "invalid_value")
        }
        var modern = CreateFineTuningJobRequest()
        modern.model = body.model ?? "curie"  // the legacy default
        modern.trainingFile = body.trainingFile
        modern.validationFile = body.validationFile
        modern.suffix = body.suffix
        modern.hyperparameters = Hyperparameters(
            batchSize: body.batchSize.map { .value($0) } ?? .auto,
            learningRateMultiplier: body.learningRateMultiplier.map { .value($0) } ?? .auto,
            nEpochs: .value(body.nEpochs ?? 4))  // the legacy default
        let now = services.now
        var job = try await JobRequestValidator(services: services).makeJob(modern, tenant: context.tenant, now: now)
        let weight = body.promptLossWeight ?? 0.01
        guard weight >= 0, weight.isFinite else {
            throw APIError.invalidRequest("Invalid 'prompt_loss_weight': \(weight). It must be 0 or more.",
                                          param: "prompt_loss_weight", code: "invalid_value")
        }
        job.promptLossWeight = weight
        job.legacyID = ObjectID.make(ObjectID.legacyFineTune)
        job.classification = try Self.classification(body)

        let events = [StoredJobEvent(jobID: job.id, createdAt: now, message: "Created fine-tune: \(job.legacyID!)")]
        try await services.store.insertJob(job, events: events)
        services.jobSignals.jobsChanged()
        return try JSONResponse.make(try await render(job, withEvents: true))
    }

    @Sendable func list(_ request: Request, context: FinchRequestContext) async throws -> Response {
        var items: [LegacyFineTune] = []
        for job in try await services.store.legacyJobs(tenant: context.tenant) {
            items.append(try await render(job, withEvents: false))
        }
        return try JSONResponse.make(PlainList(data: items))
    }

    @Sendable func retrieve(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try JSONResponse.make(try await render(try await existing(context), withEvents: true))
    }

    @Sendable func cancel(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let job = try await existing(context)
        do {
            let cancelled = try await services.store.transitionJob(
                id: job.id, tenant: context.tenant, from: [.validatingFiles, .queued, .running, .paused], to: .cancelled,
                changes: JobChanges(finishedAt: services.now),
                events: [StoredJobEvent(jobID: job.id, createdAt: services.now, message: "Fine-tune cancelled")])
            services.jobSignals.jobsChanged()
            return try JSONResponse.make(try await render(cancelled, withEvents: true))
        } catch StoreError.stateConflict {
            throw JobsController.illegal("cancel", job: job)
        }
    }

    @Sendable func delete(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let job = try await existing(context)
        guard job.status.isTerminal else { throw JobsController.illegal("delete", job: job) }
        try await services.store.deleteJob(id: job.id)
        return try JSONResponse.make(DeletedObject(id: job.legacyID ?? job.id, object: "fine-tune"))
    }

    @Sendable func events(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let job = try await existing(context)
        let stream = request.uri.queryParameters["stream"].map { $0 == "true" || $0 == "1" } ?? false
        guard stream else {
            return try JSONResponse.make(PlainList(data: try await legacyEvents(of: job.id)))
        }
        return LegacyEventStream(services: services, jobID: job.id).response()
    }

    // MARK: Helpers

    private func existing(_ context: FinchRequestContext) async throws -> StoredJob {
        let id = try context.parameters.require("fine_tune_id")
        guard let job = try await services.store.job(legacyID: id, tenant: context.tenant) else {
            throw APIError.noSuchObject("FineTune", id: id)
        }
        return job
    }

    func legacyEvents(of jobID: String) async throws -> [LegacyFineTune.Event] {
        try await services.store.events(jobID: jobID, after: nil, limit: 100_000).items.reversed().map(Self.legacy)
    }

    static func legacy(_ event: StoredJobEvent) -> LegacyFineTune.Event {
        LegacyFineTune.Event(createdAt: event.createdAt, level: event.level.rawValue, message: event.message)
    }

    /// Legacy states: `pending` until training starts.
    static func status(_ status: JobStatus) -> String {
        switch status {
        case .validatingFiles, .queued, .paused: "pending"
        default: status.rawValue
        }
    }

    private func render(_ job: StoredJob, withEvents: Bool) async throws -> LegacyFineTune {
        let events = try await legacyEvents(of: job.id)
        func files(_ ids: [String]) async throws -> [OpenAIFile] {
            var objects: [OpenAIFile] = []
            for id in ids {
                if let file = try await services.store.file(id: id, tenant: job.tenant, now: services.now) { objects.append(file.object) }
            }
            return objects
        }
        var hyperparams = LegacyFineTune.Hyperparams(
            batchSize: job.hyperparameters.batchSize?.value, learningRateMultiplier: job.hyperparameters.learningRateMultiplier?.value,
            nEpochs: job.hyperparameters.nEpochs?.value, promptLossWeight: job.promptLossWeight)
        if let classification = job.classification {
            hyperparams.computeClassificationMetrics = true
            if case .number(let classes) = classification["classification_n_classes"] { hyperparams.classificationNClasses = Int(classes) }
            hyperparams.classificationPositiveClass = classification["classification_positive_class"]?.stringValue
        }
        return LegacyFineTune(
            id: job.legacyID ?? job.id, model: job.model, createdAt: job.createdAt,
            updatedAt: events.last?.createdAt ?? job.createdAt, events: withEvents ? events : nil,
            fineTunedModel: job.fineTunedModel, hyperparams: hyperparams, organizationID: job.tenant.organization,
            resultFiles: try await files(job.resultFiles), status: Self.status(job.status),
            trainingFiles: try await files([job.trainingFile]), validationFiles: try await files(job.validationFile.map { [$0] } ?? []))
    }

    /// The classification settings as given, checked as the legacy API did.
    static func classification(_ body: CreateLegacyFineTuneRequest) throws(APIError) -> JSONValue? {
        guard body.computeClassificationMetrics == true else { return nil }
        guard body.validationFile != nil else {
            throw .invalidRequest("compute_classification_metrics requires a validation_file.", param: "validation_file")
        }
        guard body.classificationNClasses != nil || body.classificationPositiveClass != nil else {
            throw .invalidRequest("compute_classification_metrics requires classification_n_classes (multiclass) or classification_positive_class (binary).",
                                  param: "classification_n_classes")
        }
        var settings: [String: JSONValue] = [:]
        if let classes = body.classificationNClasses { settings["classification_n_classes"] = .number(Double(classes)) }
        if let positive = body.classificationPositiveClass { settings["classification_positive_class"] = .string(positive) }
        if let betas = body.classificationBetas { settings["classification_betas"] = .array(betas.map { .number($0) }) }
        return .object(settings)
    }
}

/// `GET /v1/fine-tunes/{id}/events?stream=true`: every event so far, then new ones as they happen, as
/// `data: {event}` lines; `data: [DONE]` once the job has ended and its last events are sent.
struct LegacyEventStream {
    let services: FinchServices
    let jobID: String

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        let services = services
        let jobID = jobID
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var sent = 0
            let encoder = JSONEncoder()
            while true {
                let job = try await services.store.job(id: jobID, tenant: nil)
                let events = try await services.store.events(jobID: jobID, after: nil, limit: 100_000).items.reversed()
                for event in events.dropFirst(sent) {
                    let data = try encoder.encode(LegacyFineTunesController.legacy(event))
                    try await writer.write(ByteBuffer(string: "data: " + String(decoding: data, as: UTF8.self) + "\n\n"))
                }
                sent = events.count
                if job == nil || job?.status.isTerminal == true { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
            try await writer.finish(nil)
        })
    }
}
