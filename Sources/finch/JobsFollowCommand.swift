import ArgumentParser
import FinchAPI
import FinchClient
import Foundation

/// `finch jobs follow`: watches a job until it ends.
struct JobsFollowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Watch a job until it ends: a live progress line on a terminal, plain lines otherwise.",
        discussion: """
            On a terminal: one line redrawn in place (bar, step/total, epoch, train loss, tokens/s, ETA) with new \
            events printed above it. When standard output is not a terminal (a pipe, a file): one plain line per \
            event. Ends with the fine-tuned model's name. Exit status: 0 when the job succeeded, 1 when it failed \
            or was cancelled.
            """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The job id (ftjob-…).") var id: String
    @Option(help: "Seconds between polls.") var interval = 1.0

    func run() async throws {
        guard interval > 0, interval.isFinite else { throw ValidationError("--interval must be a positive number of seconds") }
        try await Self.follow(id, client: try options.client(), interval: interval)
    }

    static func follow(_ id: String, client: FinchClient, interval: Double) async throws {
        let mode: FollowDisplay.Mode = Terminal.standardOutputIsInteractive ? .terminal(width: Terminal.width) : .plain
        var display = FollowDisplay(mode: mode, write: Terminal.write)
        var follower = JobFollower(client: client, jobID: id)
        let job = try await reportingErrors {
            do {
                return try await follower.follow(interval: .milliseconds(Int(interval * 1000))) { display.show($0) }
            } catch {
                display.interrupt()
                throw error
            }
        }
        display.finish(job)
        if job.status != .succeeded { throw ExitCode.failure }
    }
}
