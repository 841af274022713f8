import FinchModels
import FinchTokenizer
import Foundation

/// What `finch prepare-data` reports on a training (and validation) file for one model: every format error and
/// warning by category with line numbers (`DataFileCheck`, the job's own file validation), token statistics with
/// the model's tokenizer and chat template, the resolved "auto" hyperparameters (`Hyperparameters`, the trainer's
/// rules), an estimated training time from measured throughput, and the verdict a fine-tuning job would get.
/// Codable with stable snake_case keys (`--json`).
public struct DataReport: Sendable, Codable {
    public var model: ModelSummary
    public var training: FileReport
    public var validation: FileReport?
    /// Resolved over the valid training examples (nil when there are none).
    public var hyperparameters: HyperparameterSummary?
    /// Nil when not measured (`measure: false`, no valid examples, or the model could not train).
    public var estimate: TrainingEstimate?
    public var verdict: Verdict

    public struct ModelSummary: Sendable, Codable {
        public var name: String
        public var directory: String
        public var modelType: String
        /// Examples are cut to this many tokens (from the end), as the trainer does.
        public var contextLength: Int
        public var hasChatTemplate: Bool
        public var method: String

        enum CodingKeys: String, CodingKey {
            case name, directory, method
            case modelType = "model_type"
            case contextLength = "context_length"
            case hasChatTemplate = "has_chat_template"
        }
    }

    /// The problems of one category in one file.
    public struct CategorySummary: Sendable, Codable, Equatable {
        public var count: Int
        /// Distinct lines, ascending (empty for file-wide problems).
        public var lines: [Int]
        /// Every problem: its line and sentence.
        public var details: [DataIssue]
    }

    public struct FileReport: Sendable, Codable {
        public var path: String
        public var role: String
        public var format: DataFileCheck.Format?
        /// Non-blank lines (one example each) and the examples without errors.
        public var lines: Int
        public var validExamples: Int
        public var errors: [String: CategorySummary]
        public var warnings: [String: CategorySummary]
        /// Nil when no example could be tokenized.
        public var tokens: TokenSummary?
        /// Prompt/completion files: the suffix every prompt / every completion shares (legacy prepare_data advice).
        public var commonPromptSuffix: String?
        public var commonCompletionSuffix: String?
        /// The job's answer for this file alone (nil: valid).
        public var firstError: JobErrorSummary?

        enum CodingKeys: String, CodingKey {
            case path, role, format, lines, errors, warnings, tokens
            case validExamples = "valid_examples"
            case commonPromptSuffix = "common_prompt_suffix"
            case commonCompletionSuffix = "common_completion_suffix"
            case firstError = "first_error"
        }

        /// Issues of `category`, if any.
        public func issues(_ category: DataIssueCategory) -> CategorySummary? {
            (category.isError ? errors : warnings)[category.rawValue]
        }
    }

    public struct TokenSummary: Sendable, Codable {
        /// Examples tokenized (valid examples the chat template could render).
        public var examples: Int
        /// Per example, before truncation: every token of the rendered conversation.
        public var totalTokens: Distribution
        /// Per example, after truncation: tokens with full loss weight (assistant turns, completions).
        public var trainedTokens: Distribution
        /// Chat files: messages per example.
        public var messages: Distribution?
        /// Examples over the context length, and what cutting them drops.
        public var truncatedExamples: Int
        public var truncatedTokens: Int
        public var truncatedTrainedTokens: Int
        /// Σ min(tokens, context): one epoch of this file, what OpenAI bills per epoch.
        public var tokensPerEpoch: Int
        /// Training file only: tokensPerEpoch × epochs, OpenAI's billing formula.
        public var billedTokens: Int?

        enum CodingKeys: String, CodingKey {
            case examples, messages
            case totalTokens = "total_tokens"
            case trainedTokens = "trained_tokens"
            case truncatedExamples = "truncated_examples"
            case truncatedTokens = "truncated_tokens"
            case truncatedTrainedTokens = "truncated_trained_tokens"
            case tokensPerEpoch = "tokens_per_epoch"
            case billedTokens = "billed_tokens"
        }
    }

    /// min / median / p90 / max (percentiles interpolated linearly, as numpy does), mean and sum.
    public struct Distribution: Sendable, Codable, Equatable {
        public var min: Int
        public var median: Double
        public var p90: Double
        public var max: Int
        public var mean: Double
        public var sum: Int

        public init?(_ values: [Int]) {
            guard !values.isEmpty else { return nil }
            let sorted = values.sorted()
            func quantile(_ q: Double) -> Double {
                let x = q * Double(sorted.count - 1)
                let lo = Int(x.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
                return Double(sorted[lo]) + (x - Double(lo)) * Double(sorted[hi] - sorted[lo])
            }
            min = sorted.first!
            max = sorted.last!
            median = quantile(0.5)
            p90 = quantile(0.9)
            sum = sorted.reduce(0, +)
            mean = Double(sum) / Double(sorted.count)
        }
    }

    public struct HyperparameterSummary: Sendable, Codable, Equatable {
        public var nEpochs: Int
        public var batchSize: Int
        public var learningRateMultiplier: Double
        public var learningRate: Double
        public var stepsPerEpoch: Int
        public var totalSteps: Int
        /// Which of the three were "auto" (resolved here) rather than given.
        public var auto: [String]

        enum CodingKeys: String, CodingKey {
            case auto
            case nEpochs = "n_epochs"
            case batchSize = "batch_size"
            case learningRateMultiplier = "learning_rate_multiplier"
            case learningRate = "learning_rate"
            case stepsPerEpoch = "steps_per_epoch"
            case totalSteps = "total_steps"
        }
    }

    /// A job's `error` object.
    public struct JobErrorSummary: Sendable, Codable, Equatable {
        public var code: String
        public var param: String
        public var message: String

        public init(_ error: DataValidationError) {
            code = error.code
            param = error.param
            message = error.jobMessage
        }
    }

    public struct Verdict: Sendable, Codable, Equatable {
        /// Whether a fine-tuning job on these files passes file validation.
        public var accepted: Bool
        /// The failed job's `error` otherwise (`code`, `param`, `message` exactly as the job shows them).
        public var error: JobErrorSummary?
    }
}

extension DataReport {
    /// Builds the report for `configuration`'s files and model (`nil` hyperparameters are "auto").
    ///
    /// - Parameters:
    ///   - modelName: how the model was named (shown as is).
    ///   - measure: time a few real training steps of the model on this machine for `estimate`.
    ///   - measureSeconds: the time budget of that measurement.
    public static func make(_ configuration: TrainingConfiguration, modelName: String, measure: Bool = true,
                            measureSeconds: Double = 3) throws -> DataReport {
        let c = configuration
        let modelDirectory = URL(fileURLWithPath: c.modelDirectory)
        let modelConfig = try ModelConfig.load(directory: modelDirectory)
        let context = c.sequenceLength(model: modelConfig)
        let tokenizer = try ExampleTokenizer(modelDirectory: modelDirectory, maxLength: .max,
                                             promptLossWeight: c.promptLossWeight)

        let trainCheck = DataFileCheck(contentsOf: URL(fileURLWithPath: c.trainingFile), role: .training)
        var validCheckIssues: [DataIssue] = []
        let validCheck = c.validationFile.map { DataFileCheck(contentsOf: URL(fileURLWithPath: $0), role: .validation) }
        if let validCheck {
            for (value, line) in validCheck.firstLine.sorted(by: { $0.value < $1.value }) {
                if let t = trainCheck.firstLine[value] {
                    validCheckIssues.append(DataIssue(.inTrainingFile, line: line, "Example \(line) is also example \(t) of the training file."))
                }
            }
        }

        // The job's order: the training file is read (and counted) first, then the validation file.
        let firstError = trainCheck.firstError ?? validCheck?.firstError
        let verdict = Verdict(accepted: firstError == nil, error: firstError.map(JobErrorSummary.init))

        let n = trainCheck.examples.count
        var hyper: HyperparameterSummary?
        if n > 0 {
            let r = Hyperparameters.resolve(c, examples: n)
            var auto: [String] = []
            if c.epochs == nil { auto.append("n_epochs") }
            if c.batchSize == nil { auto.append("batch_size") }
            if c.learningRateMultiplier == nil && c.learningRate == nil { auto.append("learning_rate_multiplier") }
            hyper = HyperparameterSummary(nEpochs: r.epochs, batchSize: r.batchSize, learningRateMultiplier: r.multiplier,
                                          learningRate: r.learningRate, stepsPerEpoch: r.stepsPerEpoch, totalSteps: r.totalSteps, auto: auto)
        }

        let train = FileTokens(trainCheck, tokenizer: tokenizer, context: context)
        let valid = validCheck.map { FileTokens($0, tokenizer: tokenizer, context: context) }
        var trainReport = train.report(path: c.trainingFile, epochs: hyper?.nEpochs)
        var validReport = valid.map { $0.report(path: c.validationFile!, epochs: nil, extra: validCheckIssues) }
        trainReport.firstError = trainCheck.firstError.map(JobErrorSummary.init)
        validReport?.firstError = validCheck?.firstError.map(JobErrorSummary.init)

        var estimate: TrainingEstimate?
        if measure, let hyper, !train.truncated.isEmpty {
            estimate = try TrainingEstimate.measure(
                c, train: train.truncated, validation: valid?.truncated ?? [], epochs: hyper.nEpochs,
                batchSize: hyper.batchSize, totalSteps: hyper.totalSteps, budgetSeconds: measureSeconds)
        }
        let method: String = switch c.method {
        case .full: "full"
        case .lora(let l): "lora (rank \(l.rank), alpha \(l.alpha == l.alpha.rounded() ? String(Int(l.alpha)) : String(l.alpha)))"
        }
        return DataReport(
            model: ModelSummary(name: modelName, directory: c.modelDirectory, modelType: modelConfig.modelType,
                                contextLength: context, hasChatTemplate: tokenizer.template != nil, method: method),
            training: trainReport, validation: validReport, hyperparameters: hyper, estimate: estimate, verdict: verdict)
    }

    /// Whether a job would pass file validation.
    public var accepted: Bool { verdict.accepted }
}

/// One file's examples through the model's tokenizer: sizes, truncation, and the token-level warnings.
struct FileTokens {
    let check: DataFileCheck
    var issues: [DataIssue] = []
    var totals: [Int] = [], trained: [Int] = [], messages: [Int] = []
    var truncatedExamples = 0, truncatedTokens = 0, truncatedTrained = 0, tokensPerEpoch = 0
    /// The examples as the trainer sees them (cut to the context).
    var truncated: [TokenizedExample] = []

    init(_ check: DataFileCheck, tokenizer: ExampleTokenizer, context: Int) {
        self.check = check
        for numbered in check.examples {
            let line = numbered.line
            let full: TokenizedExample
            do { full = try tokenizer.tokenize(numbered.example) } catch {
                let reason = (error as? TrainingError).map { "\($0)" } ?? "\(error)"
                issues.append(DataIssue(.templateError, line: line, "Example \(line): the model's chat template fails on it (\(reason)); training would stop here."))
                continue
            }
            let kept = full.truncated(to: context)
            let total = full.tokens.count
            let keptTrained = Self.trainedCount(kept.weights)
            let allTrained = Self.trainedCount(full.weights)
            if total > context {
                truncatedExamples += 1
                truncatedTokens += total - context
                truncatedTrained += allTrained - keptTrained
                if keptTrained == 0 && allTrained > 0 {
                    issues.append(DataIssue(.noTrainedTokens, line: line,
                        "Example \(line): \(total) tokens; cut to the \(context)-token context, none of its \(allTrained) trained tokens is left, so it teaches nothing."))
                } else {
                    issues.append(DataIssue(.tooLong, line: line,
                        "Example \(line): \(total) tokens, over the \(context)-token context: the last \(total - context) are cut, \(allTrained - keptTrained) of them trained tokens."))
                }
            } else if allTrained == 0 {
                issues.append(DataIssue(.noTrainedTokens, line: line, "Example \(line): no token is trained (every assistant message has weight 0)."))
            }
            totals.append(total)
            trained.append(keptTrained)
            tokensPerEpoch += kept.tokens.count
            if case .chat(let m, _) = numbered.example { messages.append(m.count) }
            truncated.append(kept)
        }
    }

    /// Tokens whose prediction is trained with full weight (position 0 is never predicted).
    static func trainedCount(_ weights: [Float]) -> Int { weights.dropFirst().reduce(0) { $0 + ($1 >= 1 ? 1 : 0) } }

    func report(path: String, epochs: Int?, extra: [DataIssue] = []) -> DataReport.FileReport {
        let all = check.issues + issues + extra
        func group(_ errors: Bool) -> [String: DataReport.CategorySummary] {
            var out: [String: DataReport.CategorySummary] = [:]
            for issue in all where issue.category.isError == errors {
                var s = out[issue.category.rawValue] ?? DataReport.CategorySummary(count: 0, lines: [], details: [])
                s.count += 1
                if let l = issue.line, s.lines.last != l { s.lines.append(l) }
                s.details.append(issue)
                out[issue.category.rawValue] = s
            }
            for k in out.keys { out[k]!.lines = Array(Set(out[k]!.lines)).sorted() }
            return out
        }
        var tokens: DataReport.TokenSummary?
        if let t = DataReport.Distribution(totals), let tr = DataReport.Distribution(trained) {
            tokens = DataReport.TokenSummary(
                examples: totals.count, totalTokens: t, trainedTokens: tr, messages: DataReport.Distribution(messages),
                truncatedExamples: truncatedExamples, truncatedTokens: truncatedTokens, truncatedTrainedTokens: truncatedTrained,
                tokensPerEpoch: tokensPerEpoch, billedTokens: epochs.map { $0 * tokensPerEpoch })
        }
        return DataReport.FileReport(
            path: path, role: check.role == .training ? "training" : "validation", format: check.format,
            lines: check.lineCount, validExamples: check.examples.count, errors: group(true), warnings: group(false),
            tokens: tokens, commonPromptSuffix: check.commonPromptSuffix, commonCompletionSuffix: check.commonCompletionSuffix,
            firstError: nil)
    }
}

extension TrainingConfiguration {
    /// The length examples are cut to: `maxSequenceLength`, else the model's context, at most 4096.
    public func sequenceLength(model: ModelConfig) -> Int {
        min(maxSequenceLength ?? min(model.maxPositionEmbeddings, 4096), model.maxPositionEmbeddings)
    }
}
