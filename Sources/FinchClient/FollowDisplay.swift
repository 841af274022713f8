import FinchAPI
import Foundation

/// Draws what `jobs follow` sees. On a terminal: one progress line redrawn in place (`\r` and the ANSI
/// clear-line `ESC[2K`), with new events printed above it. Elsewhere (a pipe, a file, CI logs): plain
/// lines, one per new event, no escape codes.
public struct FollowDisplay {
    public enum Mode: Sendable, Equatable {
        case terminal(width: Int)
        case plain
    }

    public static let clearLine = "\r\u{1B}[2K"

    public let mode: Mode
    private let write: (String) -> Void
    private var barShown = false

    public init(mode: Mode, write: @escaping (String) -> Void) {
        self.mode = mode
        self.write = write
    }

    /// Prints the new events and checkpoints of `update`, then (on a terminal) redraws the progress line.
    /// On a terminal the metrics events are left out: the progress line shows them.
    public mutating func show(_ update: FollowUpdate) {
        switch mode {
        case .plain:
            for line in Self.lines(update, metrics: true) { write(line + "\n") }
        case .terminal(let width):
            let lines = Self.lines(update, metrics: false)
            var output = barShown || !lines.isEmpty ? Self.clearLine : ""
            for line in lines { output += line + "\n" }
            output += Self.fitted(Self.progressLine(update.progress), width: width)
            write(output)
            barShown = true
        }
    }

    /// Ends the progress line so an error message printed next starts on a line of its own.
    public mutating func interrupt() {
        if barShown { write("\n") }
        barShown = false
    }

    /// Leaves the last progress line on screen and prints how the job ended; the last line is the
    /// fine-tuned model's name for a job that succeeded.
    public mutating func finish(_ job: FineTuningJob) {
        interrupt()
        write(Self.outcome(job) + "\n")
    }

    // MARK: Text

    static func lines(_ update: FollowUpdate, metrics: Bool) -> [String] {
        update.newEvents.filter { metrics || $0.type != .metrics }.map(eventLine) + update.newCheckpoints.map(checkpointLine)
    }

    /// `08:01:02 Step 3/20: training loss=2.1034`.
    public static func eventLine(_ event: FineTuningJobEvent) -> String {
        let level = event.level == .info ? "" : event.level.rawValue.uppercased() + " "
        return "\(TextFormatting.clock(event.createdAt)) \(level)\(event.message)"
    }

    public static func checkpointLine(_ checkpoint: FineTuningJobCheckpoint) -> String {
        var text = "Checkpoint at step \(checkpoint.stepNumber): \(checkpoint.fineTunedModelCheckpoint)"
        if let loss = checkpoint.metrics["train_loss"] { text += String(format: " (train loss %.4f)", loss) }
        return text
    }

    /// `[██████░░░░░░░░░░░░░░]  12/40  epoch 1/3  loss 1.2345  830 tok/s  ETA 34s  running`.
    public static func progressLine(_ p: ProgressSnapshot, barWidth: Int = 24) -> String {
        var parts: [String] = []
        let fraction = p.step.flatMap { step in p.totalSteps.map { Double(step) / Double(max($0, 1)) } } ?? 0
        let filled = min(barWidth, max(0, Int((fraction * Double(barWidth)).rounded(.down))))
        parts.append("[" + String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled) + "]")
        if let step = p.step { parts.append(p.totalSteps.map { "\(step)/\($0)" } ?? "step \(step)") }
        if let epoch = p.epoch, let epochs = p.epochs { parts.append("epoch \(epoch)/\(epochs)") }
        if let loss = p.trainLoss { parts.append(String(format: "loss %.4f", loss)) }
        if let loss = p.validLoss { parts.append(String(format: "val %.4f", loss)) }
        if let rate = p.tokensPerSecond { parts.append(String(format: "%.0f tok/s", rate)) }
        if let eta = p.etaSeconds { parts.append("ETA " + TextFormatting.duration(eta)) }
        parts.append(p.status.rawValue)
        return parts.joined(separator: "  ")
    }

    /// How a finished job ended, in one line.
    public static func outcome(_ job: FineTuningJob) -> String {
        switch job.status {
        case .succeeded:
            let tokens = job.trainedTokens.map { " (\($0) trained tokens)" } ?? ""
            return "Job \(job.id) succeeded\(tokens). Fine-tuned model: \(job.fineTunedModel ?? "-")"
        case .failed:
            let reason = job.error.map { "\($0.message) (\($0.code))" } ?? "no error given"
            return "Job \(job.id) failed: \(reason)"
        default:
            return "Job \(job.id) \(job.status.rawValue)."
        }
    }

    /// Cuts the line to the terminal's width, so it never wraps (a wrapped line cannot be redrawn with `\r`).
    static func fitted(_ line: String, width: Int) -> String {
        let room = max(10, width - 1)
        return line.count <= room ? line : String(line.prefix(room - 1)) + "…"
    }
}
