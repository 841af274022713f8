import FinchAPI

/// A fine-tuning job as the store keeps it: the wire fields, its owner, and its place in the queue.
public struct StoredJob: Sendable, Equatable {
    public var id: String
    public var tenant: Tenant
    public var model: String
    public var trainingFile: String
    public var validationFile: String?
    public var status: JobStatus
    public var createdAt: Int64
    public var finishedAt: Int64?
    public var fineTunedModel: String?
    public var trainedTokens: Int64?
    public var seed: Int64
    public var suffix: String?
    public var hyperparameters: Hyperparameters
    public var method: FineTuneMethod
    public var integrations: [JSONValue]
    public var metadata: [String: String]?
    public var error: JobError?
    public var resultFiles: [String] = []
    public var estimatedFinish: Int64?
    public var finch: FinchTrainingOptions?
    /// The worker holding the job while it runs, and until when (DESIGN §6: leases from day one).
    public var leaseOwner: String?
    public var leaseExpiresAt: Int64?
    /// How many times a worker has started (or resumed) it.
    public var attempts = 0
    /// When its fine-tuned model was deleted (`DELETE /models/{model}`); the job stays.
    public var modelDeletedAt: Int64?
    /// The `ft-…` id of a job created through the legacy `/v1/fine-tunes` API (same job underneath).
    public var legacyID: String?
    /// Weight of prompt tokens for prompt/completion data (legacy `prompt_loss_weight`, default 0.01).
    public var promptLossWeight = 0.01
    /// The legacy classification-metrics settings, as given.
    public var classification: JSONValue?

    public init(id: String, tenant: Tenant, model: String, trainingFile: String, validationFile: String?,
                status: JobStatus, createdAt: Int64, seed: Int64, suffix: String?, hyperparameters: Hyperparameters,
                method: FineTuneMethod, integrations: [JSONValue], metadata: [String: String]?, finch: FinchTrainingOptions?) {
        self.id = id
        self.tenant = tenant
        self.model = model
        self.trainingFile = trainingFile
        self.validationFile = validationFile
        self.status = status
        self.createdAt = createdAt
        self.seed = seed
        self.suffix = suffix
        self.hyperparameters = hyperparameters
        self.method = method
        self.integrations = integrations
        self.metadata = metadata
        self.finch = finch
    }

    /// The `fine_tuning.job` object the API returns.
    public var object: FineTuningJob {
        var job = FineTuningJob(id: id, createdAt: createdAt, model: model, organizationID: tenant.organization,
                                status: status, trainingFile: trainingFile, validationFile: validationFile,
                                hyperparameters: hyperparameters, seed: seed)
        job.error = error
        job.fineTunedModel = fineTunedModel
        job.finishedAt = finishedAt
        job.trainedTokens = trainedTokens
        job.resultFiles = resultFiles
        job.integrations = integrations
        job.estimatedFinish = status == .running ? estimatedFinish : nil
        job.method = method
        job.metadata = metadata
        job.userProvidedSuffix = suffix
        job.finch = finch
        return job
    }
}

/// An event row; `data` holds the metrics of `metrics` events.
public struct StoredJobEvent: Sendable, Equatable {
    public var id: String
    public var jobID: String
    public var createdAt: Int64
    public var level: FineTuningJobEvent.Level
    public var type: FineTuningJobEvent.Kind
    public var message: String
    public var data: JSONValue?

    public init(id: String = ObjectID.make(ObjectID.fineTuningEvent), jobID: String, createdAt: Int64,
                level: FineTuningJobEvent.Level = .info, type: FineTuningJobEvent.Kind = .message, message: String,
                data: JSONValue? = nil) {
        self.id = id
        self.jobID = jobID
        self.createdAt = createdAt
        self.level = level
        self.type = type
        self.message = message
        self.data = data
    }

    public var object: FineTuningJobEvent {
        FineTuningJobEvent(id: id, createdAt: createdAt, level: level, message: message, type: type, data: data)
    }
}

/// A checkpoint row: the wire object plus where its weights are.
public struct StoredCheckpoint: Sendable, Equatable {
    public var id: String
    public var jobID: String
    public var createdAt: Int64
    public var modelName: String
    public var stepNumber: Int
    public var metrics: [String: Double]
    public var directory: String

    public init(id: String = ObjectID.make(ObjectID.checkpoint), jobID: String, createdAt: Int64, modelName: String,
                stepNumber: Int, metrics: [String: Double], directory: String) {
        self.id = id
        self.jobID = jobID
        self.createdAt = createdAt
        self.modelName = modelName
        self.stepNumber = stepNumber
        self.metrics = metrics
        self.directory = directory
    }

    public var object: FineTuningJobCheckpoint {
        FineTuningJobCheckpoint(id: id, createdAt: createdAt, fineTunedModelCheckpoint: modelName, stepNumber: stepNumber,
                                metrics: metrics, fineTuningJobID: jobID)
    }
}

/// What a state change sets besides the status (nil leaves a field as it is).
public struct JobChanges: Sendable {
    public var error: JobError?
    public var finishedAt: Int64?
    public var fineTunedModel: String?
    public var trainedTokens: Int64?
    public var resultFiles: [String]?
    public var hyperparameters: Hyperparameters?
    public var estimatedFinish: Int64?
    /// Clears the lease (the job leaves its worker).
    public var releaseLease = false

    public init(error: JobError? = nil, finishedAt: Int64? = nil, fineTunedModel: String? = nil, trainedTokens: Int64? = nil,
                resultFiles: [String]? = nil, hyperparameters: Hyperparameters? = nil, estimatedFinish: Int64? = nil,
                releaseLease: Bool = false) {
        self.error = error
        self.finishedAt = finishedAt
        self.fineTunedModel = fineTunedModel
        self.trainedTokens = trainedTokens
        self.resultFiles = resultFiles
        self.hyperparameters = hyperparameters
        self.estimatedFinish = estimatedFinish
        self.releaseLease = releaseLease
    }
}

/// Jobs, their events and checkpoints, and the job queue (claims with leases).
public protocol JobStore: Sendable {
    /// Inserts the job and its first events in one transaction.
    func insertJob(_ job: StoredJob, events: [StoredJobEvent]) async throws
    /// The job if it belongs to `tenant` (any tenant when nil, for workers).
    func job(id: String, tenant: Tenant?) async throws -> StoredJob?
    /// The succeeded job of `tenant` that produced `fineTunedModel`.
    func succeededJob(fineTunedModel: String, tenant: Tenant) async throws -> StoredJob?
    /// Succeeded jobs of `tenant` (of every tenant when nil) whose fine-tuned model is not deleted, newest first,
    /// with their checkpoints.
    func fineTunedModels(tenant: Tenant?) async throws -> [(job: StoredJob, checkpoints: [StoredCheckpoint])]
    /// The checkpoint published as model `name` for `tenant`.
    func checkpoint(modelName: String, tenant: Tenant) async throws -> StoredCheckpoint?
    /// Deletes the fine-tuned model (or checkpoint model) `name` of `tenant`; returns what was deleted.
    func deleteModel(named name: String, tenant: Tenant, now: Int64) async throws -> DeletedModel?
    /// The job created through the legacy API as `legacyID`.
    func job(legacyID: String, tenant: Tenant) async throws -> StoredJob?
    /// Jobs of `tenant` created through the legacy API, oldest first (the legacy list has no pagination).
    func legacyJobs(tenant: Tenant) async throws -> [StoredJob]
    /// Jobs of `tenant`, newest first, after the cursor, whose metadata holds every pair of `metadata`.
    func listJobs(tenant: Tenant, after: String?, limit: Int, metadata: [String: String]) async throws -> Page<StoredJob>
    /// Changes the status if it is one of `from` (else `StoreError.stateConflict`), applies `changes`, and appends
    /// `events`, in one transaction.
    func transitionJob(id: String, tenant: Tenant?, from: Set<JobStatus>, to: JobStatus, changes: JobChanges,
                       events: [StoredJobEvent]) async throws -> StoredJob
    /// Removes a job with its events and checkpoints (Azure's `DELETE`).
    func deleteJob(id: String) async throws
    func appendEvents(_ events: [StoredJobEvent]) async throws
    /// Events of a job, newest first.
    func events(jobID: String, after: String?, limit: Int) async throws -> Page<StoredJobEvent>
    /// Inserts a checkpoint and returns the ones beyond the newest `keep` (removed from the store), oldest first.
    func insertCheckpoint(_ checkpoint: StoredCheckpoint, keep: Int) async throws -> [StoredCheckpoint]
    /// Checkpoints of a job, newest first.
    func checkpoints(jobID: String, after: String?, limit: Int) async throws -> Page<StoredCheckpoint>
    /// How many queued jobs are ahead of this one (1 = next).
    func queuePosition(jobID: String) async throws -> Int

    // MARK: Queue
    /// The oldest job in `status`, now leased to `owner` until `leaseUntil` (and moved to `to` if given).
    func claimJob(status: JobStatus, moveTo: JobStatus?, owner: String, leaseUntil: Int64) async throws -> StoredJob?
    /// Extends the lease; false if the job is no longer held by `owner`.
    func renewLease(jobID: String, owner: String, until: Int64) async throws -> Bool
    /// Jobs whose lease ran out (their worker died): running → queued, validating stays validating; leases cleared.
    func releaseExpiredLeases(now: Int64) async throws -> [StoredJob]
}

/// What `deleteModel` removed, so the caller can free its files.
public enum DeletedModel: Sendable, Equatable {
    case fineTuned(StoredJob)
    case checkpoint(StoredCheckpoint)
}
