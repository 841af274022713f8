import FinchAPI
import Foundation

/// One training step as a metrics event reports it. Finch (and OpenAI) put the numbers in `data`
/// (`step`, `total_steps`, `train_loss`, …, Finch also `tokens` of the step); other servers may only
/// write the message `Step N/M: training loss=X`, which is read as a fallback.
public struct StepReport: Sendable, Equatable {
    public var step: Int
    public var totalSteps: Int?
    public var trainLoss: Double?
    public var validLoss: Double?
    /// Tokens trained by this step, when the server says.
    public var tokens: Int?
    /// Seconds since 1970 of the event.
    public var time: Int64

    public init(step: Int, totalSteps: Int?, trainLoss: Double?, validLoss: Double? = nil, tokens: Int? = nil, time: Int64) {
        self.step = step
        self.totalSteps = totalSteps
        self.trainLoss = trainLoss
        self.validLoss = validLoss
        self.tokens = tokens
        self.time = time
    }

    /// The step of a metrics event, or nil when the event is not about a training step.
    public init?(_ event: FineTuningJobEvent) {
        let data = event.data
        let parsed = Self.parseMessage(event.message)
        guard let step = Self.int(data?["step"]) ?? parsed?.step else { return nil }
        guard event.type == .metrics || parsed != nil else { return nil }
        self.init(step: step, totalSteps: Self.int(data?["total_steps"]) ?? parsed?.total,
                  trainLoss: Self.number(data?["train_loss"]) ?? parsed?.loss,
                  validLoss: Self.number(data?["valid_loss"]) ?? Self.number(data?["full_valid_loss"]),
                  tokens: Self.int(data?["tokens"]), time: event.createdAt)
    }

    /// `Step 12/300: training loss=1.2345…` (the fields after the loss do not matter).
    static func parseMessage(_ message: String) -> (step: Int, total: Int, loss: Double?)? {
        guard let match = message.firstMatch(of: #/Step (\d+)/(\d+)(?::\s*training loss=([-+0-9.eE]+|nan|inf))?/#),
              let step = Int(match.1), let total = Int(match.2) else { return nil }
        return (step, total, match.3.flatMap { Double($0) })
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .number(let number)?: number
        case .string(let text)?: Double(text)
        default: nil
        }
    }

    static func int(_ value: JSONValue?) -> Int? {
        guard let number = number(value), number.isFinite, number >= 0, number < 1e15 else { return nil }
        return Int(number)
    }
}

/// What the progress line shows: the last step and rates measured over recent steps.
public struct ProgressSnapshot: Sendable, Equatable {
    public var status: JobStatus
    public var step: Int?
    public var totalSteps: Int?
    public var epoch: Int?
    public var epochs: Int?
    public var trainLoss: Double?
    public var validLoss: Double?
    public var tokensPerSecond: Double?
    public var etaSeconds: Double?

    public init(status: JobStatus, step: Int? = nil, totalSteps: Int? = nil, epoch: Int? = nil, epochs: Int? = nil,
                trainLoss: Double? = nil, validLoss: Double? = nil, tokensPerSecond: Double? = nil, etaSeconds: Double? = nil) {
        self.status = status
        self.step = step
        self.totalSteps = totalSteps
        self.epoch = epoch
        self.epochs = epochs
        self.trainLoss = trainLoss
        self.validLoss = validLoss
        self.tokensPerSecond = tokensPerSecond
        self.etaSeconds = etaSeconds
    }
}

/// Keeps the recent steps of a job and turns them, with the job object, into a `ProgressSnapshot`.
/// Event times are whole seconds, so rates are measured across a window of steps, not between two.
public struct ProgressTracker: Sendable {
    public private(set) var latest: StepReport?
    private var window: [StepReport] = []
    private let windowSize = 64

    public init() {}

    public mutating func record(_ report: StepReport) {
        if let latest, report.step < latest.step { return }  // an older page seen late
        latest = report
        window.append(report)
        if window.count > windowSize { window.removeFirst(window.count - windowSize) }
    }

    /// Steps per second and tokens per second over the window (nil until it spans a second).
    public var rates: (steps: Double, tokens: Double?)? {
        guard let first = window.first, let last = window.last, last.time > first.time, last.step > first.step else { return nil }
        let seconds = Double(last.time - first.time)
        let laterSteps = window.dropFirst()
        let tokens: Double? = laterSteps.allSatisfy { $0.tokens != nil }
            ? Double(laterSteps.reduce(0) { $0 + ($1.tokens ?? 0) }) / seconds : nil
        return (Double(last.step - first.step) / seconds, tokens)
    }

    /// The line's numbers at `now` (unix seconds): the epoch from the job's `n_epochs`; while the job runs,
    /// the ETA from the step rate measured here, else (too few steps yet) from the job's `estimated_finish`.
    public func snapshot(job: FineTuningJob, now: Int64) -> ProgressSnapshot {
        var snapshot = ProgressSnapshot(status: job.status)
        guard let latest else { return snapshot }
        snapshot.step = latest.step
        snapshot.totalSteps = latest.totalSteps
        snapshot.trainLoss = latest.trainLoss
        snapshot.validLoss = window.last(where: { $0.validLoss != nil })?.validLoss
        let rates = self.rates
        snapshot.tokensPerSecond = rates?.tokens
        if let epochs = job.hyperparameters.nEpochs?.value, epochs > 0, let total = latest.totalSteps, total >= epochs {
            let perEpoch = max(1, total / epochs)
            snapshot.epochs = epochs
            snapshot.epoch = min(epochs, (max(latest.step, 1) - 1) / perEpoch + 1)
        }
        guard job.status == .running, let total = latest.totalSteps else { return snapshot }
        if let stepRate = rates?.steps, stepRate > 0 {
            snapshot.etaSeconds = Double(max(0, total - latest.step)) / stepRate
        } else if let finish = job.estimatedFinish, finish > now {
            snapshot.etaSeconds = Double(finish - now)
        }
        return snapshot
    }
}
