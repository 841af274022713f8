import ArgumentParser
import FinchAPI
import FinchClient
import Foundation

/// `finch jobs …`: the fine-tuning jobs API of a running server.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs",
        abstract: "Create, list, watch and control fine-tuning jobs on a Finch (or OpenAI-compatible) server.",
        subcommands: [JobsCreateCommand.self, List.self, Get.self, Cancel.self, Pause.self, Resume.self, Events.self,
                      JobsFollowCommand.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List jobs, newest first.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var list: ListOptions

        func run() async throws {
            let client = try options.client()
            let page = try await reportingErrors { try await client.listJobs(limit: list.limit, after: list.after) }
            if list.json { return printJSON(page.json) }
            guard !page.value.data.isEmpty else { return Terminal.write("No fine-tuning jobs.\n") }
            let rows = page.value.data.map { job in
                [job.id, job.status.rawValue, job.model, TextFormatting.dateTime(job.createdAt), job.fineTunedModel ?? "-"]
            }
            Terminal.write(TextFormatting.table([["ID", "STATUS", "MODEL", "CREATED", "FINE-TUNED MODEL"]] + rows) + "\n")
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job.")

        @OptionGroup var show: ShowOptions

        func run() async throws {
            try await show.show({ try await $0.job($1) }, describe: JobsCommand.describe)
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job.")
        @OptionGroup var target: JobTarget
        func run() async throws { try await target.change { try await $0.cancelJob($1) } }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause a queued or running job (it keeps its progress).")
        @OptionGroup var target: JobTarget
        func run() async throws { try await target.change { try await $0.pauseJob($1) } }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused job.")
        @OptionGroup var target: JobTarget
        func run() async throws { try await target.change { try await $0.resumeJob($1) } }
    }

    struct Events: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a job's latest events, oldest first.")

        @OptionGroup var options: ClientOptions
        @Argument(help: "The job id (ftjob-…).") var id: String
        @Option(help: "How many of the latest events (1-100).") var limit = 20
        @Option(help: "Events older than this event id (pagination).") var after: String?
        @Flag(help: "Print the list object as JSON.") var json = false

        func run() async throws {
            let client = try options.client()
            let page = try await reportingErrors { try await client.jobEvents(id, limit: limit, after: after) }
            if json { return printJSON(page.json) }
            for event in page.value.data.reversed() { Terminal.write(FollowDisplay.eventLine(event) + "\n") }
        }
    }

    /// The server and the job a status change (cancel, pause, resume) is sent to.
    struct JobTarget: ParsableArguments {
        @OptionGroup var options: ClientOptions
        @Argument(help: "The job id (ftjob-…).") var id: String

        /// Sends the change and prints the job's new status.
        func change(_ send: (FinchClient, String) async throws -> FineTuningJob) async throws {
            let client = try options.client()
            JobsCommand.printStatus(try await reportingErrors { try await send(client, id) })
        }
    }

    static func printStatus(_ job: FineTuningJob) {
        Terminal.write("\(job.id) \(job.status.rawValue)\n")
    }

    /// The job as `name  value` lines.
    static func describe(_ job: FineTuningJob) -> String {
        let h = job.hyperparameters
        let hyper = [("n_epochs", h.nEpochs.map(text)), ("batch_size", h.batchSize.map(text)),
                     ("learning_rate_multiplier", h.learningRateMultiplier.map(text))]
            .compactMap { name, value in value.map { "\(name)=\($0)" } }.joined(separator: " ")
        return TextFormatting.fields([
            ("id", job.id), ("status", job.status.rawValue), ("model", job.model), ("fine_tuned_model", job.fineTunedModel),
            ("training_file", job.trainingFile), ("validation_file", job.validationFile), ("hyperparameters", hyper),
            ("seed", String(job.seed)), ("suffix", job.userProvidedSuffix),
            ("created_at", TextFormatting.dateTime(job.createdAt)), ("finished_at", job.finishedAt.map(TextFormatting.dateTime)),
            ("estimated_finish", job.estimatedFinish.map(TextFormatting.dateTime)),
            ("trained_tokens", job.trainedTokens.map(String.init)), ("result_files", job.resultFiles.isEmpty ? nil : job.resultFiles.joined(separator: " ")),
            ("error", job.error.map { "\($0.code): \($0.message)" }),
        ])
    }

    private static func text<Value>(_ value: Hyperparameter<Value>) -> String {
        switch value {
        case .auto: "auto"
        case .value(let value): "\(value)"
        }
    }
}
