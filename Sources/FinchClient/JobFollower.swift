import FinchAPI
import Foundation

/// What one poll of a job found: the job, its events not seen before (oldest first), checkpoints
/// not seen before, and the progress so far.
public struct FollowUpdate: Sendable {
    public var job: FineTuningJob
    public var newEvents: [FineTuningJobEvent]
    public var newCheckpoints: [FineTuningJobCheckpoint]
    public var progress: ProgressSnapshot

    public init(job: FineTuningJob, newEvents: [FineTuningJobEvent], newCheckpoints: [FineTuningJobCheckpoint],
                progress: ProgressSnapshot) {
        self.job = job
        self.newEvents = newEvents
        self.newCheckpoints = newCheckpoints
        self.progress = progress
    }
}

/// Polls a job, its events and its checkpoints. Events are listed newest first, so each poll reads
/// pages until it meets an event it has already seen; the first poll reads the whole history.
public struct JobFollower: Sendable {
    public let client: FinchClient
    public let jobID: String
    private var seenEvents: Set<String> = []
    private var seenCheckpoints: Set<String> = []
    public private(set) var tracker = ProgressTracker()

    public init(client: FinchClient, jobID: String) {
        self.client = client
        self.jobID = jobID
    }

    /// One round: the job, new events, and the checkpoints when an event mentions one or the job ended.
    public mutating func poll(now: Int64 = Int64(Date().timeIntervalSince1970)) async throws(ClientError) -> FollowUpdate {
        let job = try await client.job(jobID).value
        let events = try await newEvents()
        for event in events {
            if let report = StepReport(event) { tracker.record(report) }
        }
        var checkpoints: [FineTuningJobCheckpoint] = []
        if job.status.isTerminal || events.contains(where: { $0.message.localizedCaseInsensitiveContains("checkpoint") }) {
            checkpoints = try await newCheckpoints()
        }
        return FollowUpdate(job: job, newEvents: events, newCheckpoints: checkpoints,
                            progress: tracker.snapshot(job: job, now: now))
    }

    /// Polls every `interval`, handing each update to `onUpdate`, until the job is terminal, and returns
    /// the finished job. Once a poll has succeeded, a server that is briefly unreachable or answers 5xx
    /// (restarting, say) is polled again, up to `retries` times in a row; the first poll fails at once.
    public mutating func follow(interval: Duration = .seconds(1), retries: Int = 30,
                                onUpdate: (FollowUpdate) -> Void) async throws -> FineTuningJob {
        var failures = 0
        var reached = false
        while true {
            do {
                let update = try await poll()
                reached = true
                failures = 0
                onUpdate(update)
                if update.job.status.isTerminal { return update.job }
            } catch {
                failures += 1
                guard reached, failures <= retries, error.isTransient else { throw error }
            }
            try await Task.sleep(for: interval)
        }
    }

    private mutating func newEvents() async throws(ClientError) -> [FineTuningJobEvent] {
        var fresh: [FineTuningJobEvent] = []
        var after: String?
        pages: while true {
            let page = try await client.jobEvents(jobID, limit: 100, after: after).value
            for event in page.data {
                if seenEvents.contains(event.id) { break pages }
                fresh.append(event)
            }
            guard page.hasMore, let last = page.data.last, last.id != after else { break }
            after = last.id
        }
        seenEvents.formUnion(fresh.map(\.id))
        return fresh.reversed()
    }

    private mutating func newCheckpoints() async throws(ClientError) -> [FineTuningJobCheckpoint] {
        let page = try await client.jobCheckpoints(jobID, limit: 100)
        let fresh = page.data.filter { !seenCheckpoints.contains($0.id) }
        seenCheckpoints.formUnion(fresh.map(\.id))
        return fresh.sorted { $0.stepNumber < $1.stepNumber }
    }
}
