import FinchModels
import FinchTraining
import Foundation
import Testing

/// The prepare-data corpus (Fixtures/prepare-data, written by its make_corpus.py) and what each file must give.
enum PrepareDataCorpus {
    static let directory = Fixtures.training.appendingPathComponent("prepare-data")
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Every .jsonl file of the corpus.
    static let files: [String] = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
        .filter { $0.hasSuffix(".jsonl") }.sorted()

    struct Expected: Sendable {
        /// Every error category of the file and its lines (empty for file-wide errors).
        var errors: [DataIssueCategory: [Int]]
        /// The job's error: code and message (after "The job failed due to an invalid training file. ").
        var code: String
        var message: String
    }

    static let rejected: [String: Expected] = [
        "invalid_json.jsonl": Expected(errors: [.invalidJSON: [4]], code: "invalid_training_file",
                                       message: "Invalid file format. Line 4 is not valid JSON: invalid JSON at byte 47: unterminated array"),
        "data_type.jsonl": Expected(errors: [.dataType: [3, 7]], code: "invalid_training_file",
                                    message: "Invalid file format. Example 3: expected a JSON object."),
        "missing_messages_list.jsonl": Expected(errors: [.missingMessagesList: [2, 5, 8]], code: "invalid_training_file",
                                                message: "Invalid file format. Example 2: Missing required key 'messages' (or 'prompt' and 'completion')."),
        "mixed_formats.jsonl": Expected(errors: [.mixedFormats: [11]], code: "invalid_training_file",
                                        message: "Invalid file format. Example 11: mixes the chat format ('messages') and the prompt/completion format."),
        "message_missing_key.jsonl": Expected(errors: [.messageMissingKey: [3, 6]], code: "invalid_training_file",
                                              message: "Invalid file format. Example 3, message 2: Discriminator 'role' is missing in value"),
        "message_unrecognized_key.jsonl": Expected(errors: [.messageUnrecognizedKey: [5]], code: "invalid_training_file",
                                                   message: "Invalid file format. Example 5, message 2: Unrecognized key 'mood'."),
        "unrecognized_role.jsonl": Expected(errors: [.unrecognizedRole: [2]], code: "invalid_training_file",
                                            message: "Invalid file format. Example 2, message 1: Invalid value for 'role': string(\"robot\"). Expected one of: assistant, developer, function, system, tool, user."),
        "missing_content.jsonl": Expected(errors: [.missingContent: [4, 9]], code: "invalid_training_file",
                                          message: "Invalid file format. Example 4, message 1: Missing 'content'."),
        "unsupported_content.jsonl": Expected(errors: [.unsupportedContent: [6]], code: "invalid_training_file",
                                              message: "Invalid file format. Example 6, message 1: only text content parts are supported."),
        "bad_weight.jsonl": Expected(errors: [.badWeight: [3, 6]], code: "invalid_training_file",
                                     message: "Invalid file format. Example 3, message 2: 'weight' must be 0 or 1."),
        "example_missing_assistant_message.jsonl": Expected(errors: [.exampleMissingAssistantMessage: [10]], code: "invalid_training_file",
                                                            message: "Invalid file format. Example 10: Missing assistant message (at least one is required)."),
        "bad_tools.jsonl": Expected(errors: [.badTools: [2, 11]], code: "invalid_training_file",
                                    message: "Invalid file format. Example 2: 'tools' must be a list."),
        "invalid_prompt.jsonl": Expected(errors: [.invalidPrompt: [6]], code: "invalid_training_file",
                                         message: "Invalid file format. Example 6: 'prompt' must be a string."),
        "missing_completion.jsonl": Expected(errors: [.missingCompletion: [8]], code: "invalid_training_file",
                                             message: "Invalid file format. Example 8: Missing required key 'completion' (a string)."),
        "empty_completion.jsonl": Expected(errors: [.emptyCompletion: [3]], code: "invalid_training_file",
                                           message: "Invalid file format. Example 3: 'completion' is empty."),
        "too_few_examples.jsonl": Expected(errors: [.tooFewExamples: []], code: "invalid_n_examples",
                                           message: "Training file has 3 example(s), but must have at least 10 examples"),
        "validation_overlap.jsonl": Expected(errors: [.tooFewExamples: []], code: "invalid_n_examples",
                                             message: "Training file has 5 example(s), but must have at least 10 examples"),
        "no_examples.jsonl": Expected(errors: [.noExamples: []], code: "invalid_training_file",
                                      message: "Invalid file format. The file has no examples."),
        "several_errors.jsonl": Expected(
            errors: [.messageUnrecognizedKey: [2], .unrecognizedRole: [2], .invalidJSON: [5], .exampleMissingAssistantMessage: [9],
                     .missingContent: [13], .badWeight: [13]],
            code: "invalid_training_file", message: "Invalid file format. Example 2, message 2: Unrecognized key 'mood'."),
    ]

    /// Files a job accepts, and their example counts.
    static let accepted: [String: Int] = [
        "good_chat.jsonl": 12, "good_prompt_completion.jsonl": 12, "good_weights.jsonl": 10, "good_tools.jsonl": 10,
        "warnings_chat.jsonl": 12, "warnings_prompt_completion.jsonl": 11,
    ]

    /// A report with the tiny llama fixture (256-token context).
    static func report(_ file: String, validation: String? = nil, maxLength: Int? = nil, measure: Bool = false,
                       configure: (inout TrainingConfiguration) -> Void = { _ in }) throws -> DataReport {
        var c = TrainingConfiguration(modelDirectory: Fixtures.model("llama").path, trainingFile: url(file).path,
                                      validationFile: validation.map { url($0).path }, outputDirectory: "",
                                      maxSequenceLength: maxLength)
        configure(&c)
        return try DataReport.make(c, modelName: "tiny-llama", measure: measure, measureSeconds: 0.3)
    }
}

@Suite("prepare-data: every check by category, with line numbers")
struct PrepareDataTests {
    typealias Corpus = PrepareDataCorpus

    @Test("the corpus has a file for every error category, and each file is listed")
    func corpusIsComplete() {
        #expect(Set(Corpus.files) == Set(Corpus.rejected.keys).union(Corpus.accepted.keys))
        let covered = Set(Corpus.rejected.values.flatMap(\.errors.keys))
        let errors = Set(DataIssueCategory.allCases.filter(\.isError)).subtracting([.unreadableFile])
        #expect(errors.subtracting(covered).isEmpty, "no corpus file for \(errors.subtracting(covered))")
    }

    @Test("each bad file: exactly its categories at its lines, and the job's first error", arguments: Corpus.rejected.keys.sorted())
    func rejected(file: String) throws {
        let expected = try #require(Corpus.rejected[file])
        let check = DataFileCheck(contentsOf: Corpus.url(file), role: .training)
        var found: [DataIssueCategory: [Int]] = [:]
        for issue in check.errors { found[issue.category, default: []] += issue.line.map { [$0] } ?? [] }
        #expect(found == expected.errors)
        let error = try #require(check.firstError)
        #expect(error.code == expected.code)
        #expect(error.param == "training_file")
        #expect(error.message == expected.message)
        // TrainingData.parse (the trainer's and the job's reader) throws exactly that error.
        #expect(throws: error) { try TrainingData.parse(Data(contentsOf: Corpus.url(file)), role: .training) }
    }

    @Test("each good file: no error, every line an example", arguments: Corpus.accepted.keys.sorted())
    func accepted(file: String) throws {
        let check = DataFileCheck(contentsOf: Corpus.url(file), role: .training)
        #expect(check.errors.isEmpty, "\(check.errors)")
        #expect(check.examples.count == Corpus.accepted[file])
        #expect(try TrainingData.load(contentsOf: Corpus.url(file), role: .training).count == Corpus.accepted[file])
    }

    @Test("a bad validation file fails with invalid_validation_file; a small one is fine")
    func validationRole() throws {
        let bad = DataFileCheck(contentsOf: Corpus.url("bad_weight.jsonl"), role: .validation).firstError
        #expect(bad?.code == "invalid_validation_file" && bad?.param == "validation_file")
        #expect(bad?.jobMessage == "The job failed due to an invalid validation file. Invalid file format. Example 3, message 2: 'weight' must be 0 or 1.")
        #expect(DataFileCheck(contentsOf: Corpus.url("too_few_examples.jsonl"), role: .validation).firstError == nil)

        let report = try Corpus.report("good_chat.jsonl", validation: "bad_weight.jsonl")
        #expect(report.verdict.error == DataReport.JobErrorSummary(try #require(bad)))
        #expect(report.training.firstError == nil && report.validation?.issues(.badWeight)?.lines == [3, 6])
        // The training file's error comes first, as the job reads it first.
        let both = try Corpus.report("missing_content.jsonl", validation: "bad_weight.jsonl")
        #expect(both.verdict.error?.code == "invalid_training_file")
    }

    @Test("an unreadable file is an error naming it")
    func unreadable() {
        let check = DataFileCheck(contentsOf: Corpus.url("nope.jsonl"), role: .training)
        #expect(check.firstError == DataValidationError(code: "invalid_training_file", param: "training_file",
                                                        message: "The file nope.jsonl could not be read."))
        #expect(check.errors.map(\.category) == [.unreadableFile])
    }

    @Test("warnings: no system or user message, duplicates, ignored keys, truncation and what it drops, nothing trained")
    func chatWarnings() throws {
        let report = try Corpus.report("warnings_chat.jsonl", maxLength: 128)
        let t = report.training
        #expect(t.errors.isEmpty && report.accepted)
        #expect(t.issues(.missingSystemMessage)?.lines == [2])
        #expect(t.issues(.missingUserMessage)?.lines == [4])
        #expect(t.issues(.duplicateExample)?.lines == [7])
        #expect(t.issues(.duplicateExample)?.details.first?.text == "Example 7 repeats example 1.")
        #expect(t.issues(.unrecognizedExampleKey)?.lines == [9])
        #expect(t.issues(.tooLong)?.lines == [10])
        // line 11: a long question pushes the whole answer past the context; line 12: weight 0 only
        #expect(t.issues(.noTrainedTokens)?.lines == [11, 12])
        let tokens = try #require(t.tokens)
        #expect(tokens.truncatedExamples == 2 && tokens.truncatedTokens > 0 && tokens.truncatedTrainedTokens > 0)
        #expect(tokens.totalTokens.max > 128 && tokens.trainedTokens.min == 0)
        #expect(Set(t.warnings.keys) == ["missing_system_message", "missing_user_message", "duplicate_example",
                                         "unrecognized_example_key", "too_long", "no_trained_tokens"])
    }

    @Test("legacy prompt/completion advice: leading whitespace, common separator, common ending")
    func completionWarnings() throws {
        let bad = try Corpus.report("warnings_prompt_completion.jsonl").training
        #expect(bad.format == .promptCompletion)
        #expect(bad.issues(.completionNoLeadingWhitespace)?.lines == Array(1...10))
        #expect(bad.issues(.promptNoCommonSeparator)?.count == 1 && bad.issues(.promptNoCommonSeparator)?.lines == [])
        #expect(bad.issues(.completionNoCommonEnding)?.count == 1)
        let good = try Corpus.report("good_prompt_completion.jsonl").training
        #expect(good.warnings.isEmpty, "\(good.warnings)")
        #expect(good.commonPromptSuffix?.hasSuffix("\n\n###\n\n") == true)
        #expect(good.commonCompletionSuffix?.hasSuffix(" END") == true)
    }

    @Test("validation examples that are also training examples are flagged")
    func overlap() throws {
        let report = try Corpus.report("good_chat.jsonl", validation: "validation_overlap.jsonl")
        #expect(report.accepted)
        #expect(report.validation?.issues(.inTrainingFile)?.lines == [1, 2])
        #expect(report.validation?.tokens?.billedTokens == nil)
    }

    @Test("a chat template that cannot render an example is flagged: the job would validate, then fail training")
    func templateError() throws {
        // A Gemma-style template that refuses the system role; good_chat.jsonl has one on lines 1-12, not on 13.
        let model = FileManager.default.temporaryDirectory.appendingPathComponent("no-system-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: model) }
        try FileManager.default.copyItem(at: Fixtures.model("llama"), to: model)
        try Data("""
            {% for m in messages %}{% if m['role'] == 'system' %}{{ raise_exception('System role not supported') }}\
            {% endif %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}\
            {% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}
            """.utf8).write(to: model.appendingPathComponent("chat_template.jinja"))
        let report = try Corpus.report("good_chat.jsonl") { $0.modelDirectory = model.path }
        #expect(report.accepted)
        #expect(report.training.issues(.templateError)?.lines == Array(1...12))
    }

    @Test("function-calling examples render on a template without tool support (the Hermes fallback)")
    func toolsRender() throws {
        let report = try Corpus.report("good_tools.jsonl")
        #expect(report.accepted)
        #expect(report.training.issues(.templateError) == nil)
        // rendered and tokenized (the Hermes tool prompt is longer than the tiny model's 256-token context,
        // so truncation from the end leaves these particular examples nothing to train: reported as such)
        #expect((report.training.tokens?.totalTokens.min ?? 0) > 256)
        #expect(report.training.issues(.noTrainedTokens)?.lines == Array(1...10))
    }

    @Test("token statistics, billed tokens and hyperparameters follow the trainer: same numbers as its plan")
    func matchesTrainer() throws {
        let report = try Corpus.report("warnings_chat.jsonl", maxLength: 128)
        let t = try #require(report.training.tokens)
        let h = try #require(report.hyperparameters)
        #expect(t.examples == 12)
        #expect(t.totalTokens.min <= Int(t.totalTokens.median.rounded(.down)) && t.totalTokens.median <= t.totalTokens.p90)
        #expect(t.totalTokens.p90 <= Double(t.totalTokens.max))
        #expect(t.billedTokens == t.tokensPerEpoch * h.nEpochs)
        #expect(t.tokensPerEpoch == t.totalTokens.sum - t.truncatedTokens)
        // "auto": the trainer's rules for 12 examples
        #expect(h.nEpochs == 8 && h.batchSize == 1 && h.learningRateMultiplier == 1 && h.totalSteps == 96)
        #expect(h.auto == ["n_epochs", "batch_size", "learning_rate_multiplier"])

        // The trainer's own plan for the same configuration (stopped before its first step).
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("prep-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let c = TrainingConfiguration(modelDirectory: Fixtures.model("llama").path,
                                      trainingFile: PrepareDataCorpus.url("warnings_chat.jsonl").path,
                                      outputDirectory: out.path, maxSequenceLength: 128)
        var plan: TrainingPlan?
        _ = try Trainer.run(c, observe: { if case .started(let p) = $0 { plan = p } }, shouldStop: { true })
        let p = try #require(plan)
        #expect(p.tokensPerEpoch == t.tokensPerEpoch)
        #expect(p.truncatedExamples == t.truncatedExamples && p.truncatedTokens == t.truncatedTokens)
        #expect(p.epochs == h.nEpochs && p.batchSize == h.batchSize && p.totalSteps == h.totalSteps)
        #expect(p.learningRateMultiplier == h.learningRateMultiplier && p.learningRate == h.learningRate)
    }

    @Test("given hyperparameters are used, not auto")
    func givenHyperparameters() throws {
        let report = try Corpus.report("good_chat.jsonl") { $0.epochs = 2; $0.batchSize = 4 }
        let h = try #require(report.hyperparameters)
        #expect(h.nEpochs == 2 && h.batchSize == 4 && h.stepsPerEpoch == 3 && h.auto == ["learning_rate_multiplier"])
        #expect(h.learningRateMultiplier == 2)
    }

    @Test("the estimate times real training steps and extrapolates to the plan's tokens")
    func estimate() throws {
        let report = try Corpus.report("good_chat.jsonl", validation: "validation_overlap.jsonl", measure: true)
        let e = try #require(report.estimate)
        let t = try #require(report.training.tokens)
        let h = try #require(report.hyperparameters)
        #expect(e.measuredSteps >= 1 && e.measuredTokens > 0 && e.tokensPerSecond > 0)
        #expect(e.trainingTokens == t.tokensPerEpoch * h.nEpochs)
        #expect(abs(e.trainingSeconds - Double(e.trainingTokens) / e.tokensPerSecond) < 1e-6 * e.trainingSeconds + 1e-9)
        #expect((e.validationTokensPerSecond ?? 0) > 0 && e.validationTokens >= (report.validation?.tokens?.tokensPerEpoch ?? 0) * h.nEpochs)
        #expect(abs(e.totalSeconds - (e.modelLoadSeconds + e.trainingSeconds + e.validationSeconds)) < 1e-9)
        #expect(try Corpus.report("good_chat.jsonl").estimate == nil)
    }

    @Test("the JSON form has stable snake_case keys")
    func json() throws {
        let report = try Corpus.report("several_errors.jsonl")
        let object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(Set(object.keys) == ["model", "training", "hyperparameters", "verdict"])
        let training = try #require(object["training"] as? [String: Any])
        #expect(Set(training.keys) == ["path", "role", "format", "lines", "valid_examples", "errors", "warnings", "tokens", "first_error"])
        let errors = try #require(training["errors"] as? [String: [String: Any]])
        #expect(errors["invalid_json"]?["lines"] as? [Int] == [5])
        #expect(Set(try #require(errors["bad_weight"]).keys) == ["count", "lines", "details"])
        let tokens = try #require(training["tokens"] as? [String: Any])
        #expect(Set(tokens.keys) == ["examples", "total_tokens", "trained_tokens", "messages", "truncated_examples",
                                     "truncated_tokens", "truncated_trained_tokens", "tokens_per_epoch", "billed_tokens"])
        #expect(Set(try #require(tokens["total_tokens"] as? [String: Any]).keys) == ["min", "median", "p90", "max", "mean", "sum"])
        let verdict = try #require(object["verdict"] as? [String: Any])
        #expect(verdict["accepted"] as? Bool == false)
        #expect((verdict["error"] as? [String: String])?["message"]
                == "The job failed due to an invalid training file. Invalid file format. Example 2, message 2: Unrecognized key 'mood'.")
    }

    @Test("distributions: numpy's linear percentiles")
    func distribution() throws {
        let d = try #require(DataReport.Distribution([10, 1, 4, 7]))
        #expect(d.min == 1 && d.max == 10 && d.median == 5.5 && d.sum == 22 && d.mean == 5.5)
        #expect(abs(d.p90 - 9.1) < 1e-9)
        #expect(DataReport.Distribution([]) == nil)
    }
}
