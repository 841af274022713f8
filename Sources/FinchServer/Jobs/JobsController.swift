import FinchAPI
import FinchStore
import Foundation
import Hummingbird

/// The fine-tuning jobs API: create, list, retrieve, cancel, pause, resume, events and checkpoints,
/// in OpenAI's dialect (`/v1/fine_tuning/jobs`) or Azure's (`/openai/fine_tuning/jobs`: 201 + Location,
/// Azure's states, `DELETE`).
struct JobsController {
    let services: FinchServices
    let dialect: APIDialect

    func addRoutes(to group: RouterGroup<FinchRequestContext>) {
        group.post("fine_tuning/jobs", use: create)
        group.get("fine_tuning/jobs", use: list)
        group.get("fine_tuning/jobs/:job_id", use: retrieve)
        group.post("fine_tuning/jobs/:job_id/cancel", use: cancel)
        group.post("fine_tuning/jobs/:job_id/pause", use: pause)
        group.post("fine_tuning/jobs/:job_id/resume", use: resume)
        group.get("fine_tuning/jobs/:job_id/events", use: events)
        group.get("fine_tuning/jobs/:job_id/checkpoints", use: checkpoints)
        if dialect == .azure { group.delete("fine_tuning/jobs/:job_id", use: delete) }
    }

    @Sendable func create(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let body = try await request.decodeJSON(CreateFineTuningJobRequest.self, context: context)
        let now = services.now
        let job = try await JobRequestValidator(services: services).makeJob(body, tenant: context.tenant, now: now)
        var events = [StoredJobEvent(jobID: job.id, createdAt: now, message: "Created fine-tuning job: \(job.id)")]
        if !job.integrations.isEmpty {
            events.append(StoredJobEvent(jobID: job.id, createdAt: now, level: .warn,
                                         message: "Integrations are recorded but not contacted: Finch sends no data off this machine."))
        }
        try await services.store.insertJob(job, events: events)
        services.jobSignals.jobsChanged()
        return try JSONResponse.created(render(job), dialect: dialect, location: "fine_tuning/jobs/\(job.id)", request: request)
    }

    @Sendable func list(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let parameters = request.uri.queryParameters
        let query = try ListQuery(parameters, defaultLimit: 20, maxLimit: 100)
        var metadata: [String: String] = [:]
        for (rawKey, value) in parameters {
            let key = String(rawKey).removingPercentEncoding ?? String(rawKey)  // the SDK sends metadata%5Bk%5D=v
            guard key.hasPrefix("metadata["), key.hasSuffix("]") else { continue }
            metadata[String(key.dropFirst("metadata[".count).dropLast())] = String(value)
        }
        let page = try await services.store.listJobs(tenant: context.tenant, after: query.after, limit: query.limit,
                                                     metadata: metadata)
        return try JSONResponse.make(HasMoreList(data: page.items.map(render), hasMore: page.hasMore))
    }

    @Sendable func retrieve(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try JSONResponse.make(render(try await existingJob(context)))
    }

    @Sendable func cancel(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try await change(context, action: "cancel", from: [.validatingFiles, .queued, .running, .paused], to: .cancelled,
                         message: "Fine-tuning job cancelled", finishes: true)
    }

    @Sendable func pause(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try await change(context, action: "pause", from: [.queued, .running], to: .paused, message: "Fine-tuning job paused")
    }

    @Sendable func resume(_ request: Request, context: FinchRequestContext) async throws -> Response {
        try await change(context, action: "resume", from: [.paused], to: .queued, message: "Fine-tuning job resumed")
    }

    @Sendable func delete(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let job = try await existingJob(context)
        guard job.status.isTerminal else {
            throw JobsController.illegal("delete", job: job)
        }
        try await services.store.deleteJob(id: job.id)
        return Response(status: .noContent)
    }

    @Sendable func events(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let job = try await existingJob(context)
        let query = try ListQuery(request.uri.queryParameters, defaultLimit: 20, maxLimit: 100)
        let page = try await services.store.events(jobID: job.id, after: query.after, limit: query.limit)
        return try JSONResponse.make(HasMoreList(data: page.items.map(\.object), hasMore: page.hasMore))
    }

    @Sendable func checkpoints(_ request: Request, context: FinchRequestContext) async throws -> Response {
        let job = try await existingJob(context)
        let query = try ListQuery(request.uri.queryParameters, defaultLimit: 10, maxLimit: 100)
        let page = try await services.store.checkpoints(jobID: job.id, after: query.after, limit: query.limit)
        let items = page.items.map(\.object)
        return try JSONResponse.make(CursorPage(data: items, firstID: items.first?.id, lastID: items.last?.id,
                                                hasMore: page.hasMore))
    }

    // MARK: Helpers

    private func change(_ context: FinchRequestContext, action: String, from: Set<JobStatus>, to: JobStatus,
                        message: String, finishes: Bool = false) async throws -> Response {
        let job = try await existingJob(context)
        let now = services.now
        do {
            let changed = try await services.store.transitionJob(
                id: job.id, tenant: context.tenant, from: from, to: to,
                changes: JobChanges(finishedAt: finishes ? now : nil, releaseLease: false),
                events: [StoredJobEvent(jobID: job.id, createdAt: now, message: message)])
            services.jobSignals.jobsChanged()
            return try JSONResponse.make(render(changed))
        } catch StoreError.stateConflict {
            let current = try await services.store.job(id: job.id, tenant: context.tenant) ?? job
            throw JobsController.illegal(action, job: current)
        }
    }

    /// A transition the job's state does not allow: a deterministic 400 (never 409, which the SDK retries).
    static func illegal(_ action: String, job: StoredJob) -> APIError {
        var error = APIError.invalidRequest("Cannot \(action) job \(job.id): its status is '\(job.status.rawValue)'.",
                                            param: "fine_tuning_job_id", code: "invalid_job_state")
        error.azureCode = "unexpectedEntityState"
        return error
    }

    private func existingJob(_ context: FinchRequestContext) async throws -> StoredJob {
        let id = try context.parameters.require("job_id")
        guard let job = try await services.store.job(id: id, tenant: context.tenant) else {
            throw APIError.noSuchObject("FineTuningJob", id: id, param: "fine_tuning_job_id")
        }
        return job
    }

    /// The job object in the route's dialect; Azure has no `validating_files`/`queued`/`paused` but `pending`.
    private func render(_ job: StoredJob) -> FineTuningJob {
        var object = job.object
        if dialect == .azure { object.azureStatus = job.status.azureName }
        return object
    }
}
