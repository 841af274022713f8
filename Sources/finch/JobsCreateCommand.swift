import ArgumentParser
import FinchAPI
import FinchClient
import Foundation

/// `finch jobs create`: starts a fine-tuning job; local training files are uploaded first.
struct JobsCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a fine-tuning job.",
        discussion: """
            finch jobs create --model SmolLM2-135M-Instruct --training-file marv.jsonl --suffix marv --epochs 3 --follow
            A --training-file/--validation-file that names an existing local file is uploaded first (purpose \
            fine-tune); anything else is taken as a file id. Unset hyperparameters are "auto".
            """
    )

    @OptionGroup var options: ClientOptions
    @Option(help: "The base model (or an ft: model to continue training).") var model: String
    @Option(help: "Training data: a local .jsonl file or a file id.") var trainingFile: String
    @Option(help: "Validation data: a local .jsonl file or a file id.") var validationFile: String?
    @Option(help: "Up to 64 characters added to the fine-tuned model's name.") var suffix: String?
    @Option(help: "Passes over the training data (1-50).") var epochs: Int?
    @Option(help: "Examples per optimizer step (1-256).") var batchSize: Int?
    @Option(help: "Scales the base learning rate.") var learningRateMultiplier: Double?
    @Option(help: "Seed for a reproducible run.") var seed: Int64?
    @Flag(help: "Follow the job until it ends (as `finch jobs follow`).") var follow = false
    @Flag(help: "Print the job object as JSON.") var json = false

    func run() async throws {
        let client = try options.client()
        let job = try await reportingErrors {
            let training = try await client.fileID(pathOrID: trainingFile)
            if let uploaded = training.uploaded { Self.note("Uploaded \(trainingFile) as \(uploaded.id)") }
            var validation: String?
            if let validationFile {
                let resolved = try await client.fileID(pathOrID: validationFile)
                if let uploaded = resolved.uploaded { Self.note("Uploaded \(validationFile) as \(uploaded.id)") }
                validation = resolved.id
            }
            var hyperparameters = Hyperparameters(batchSize: batchSize.map { .value($0) },
                                                  learningRateMultiplier: learningRateMultiplier.map { .value($0) },
                                                  nEpochs: epochs.map { .value($0) })
            let anySet = epochs != nil || batchSize != nil || learningRateMultiplier != nil
            if !anySet { hyperparameters = Hyperparameters() }
            return try await client.createJob(NewFineTuningJob(
                model: model, trainingFile: training.id, validationFile: validation, suffix: suffix, seed: seed,
                hyperparameters: anySet ? hyperparameters : nil))
        }
        if json { printJSON(job.json) } else { JobsCommand.printStatus(job.value) }
        if follow { try await JobsFollowCommand.follow(job.value.id, client: client, interval: 1) }
    }

    /// Progress notes go to stderr, so stdout stays the job id (and the follow output).
    static func note(_ text: String) {
        Terminal.writeError(text + "\n")
    }
}
