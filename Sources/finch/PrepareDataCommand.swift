import ArgumentParser
import FinchClient
import FinchServer
import FinchTraining
import Foundation

/// `finch prepare-data`: the checks of OpenAI's data-preparation cookbook and of the legacy
/// `openai tools fine_tunes.prepare_data`, with the model's real tokenizer, through the same code as a job's
/// file validation (`DataFileCheck`), so its verdict is the job's.
struct PrepareDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prepare-data",
        abstract: "Check fine-tuning JSONL before uploading it: errors, warnings, tokens, hyperparameters, time.",
        discussion: """
            finch prepare-data marv_train.jsonl [--validation-file marv_validation.jsonl] [--model NAME|DIR] [--json]
            Reports format errors by category with line numbers (the cookbook's data_type, missing_messages_list, \
            message_missing_key, message_unrecognized_key, unrecognized_role, missing_content, \
            example_missing_assistant_message, and bad weights, invalid JSON, mixed formats, prompt/completion \
            problems), warnings (no system or user message, duplicates, examples over the context and what \
            truncation drops, legacy prompt/completion advice), token statistics with the model's tokenizer and \
            chat template, the resolved "auto" hyperparameters, and an estimated training time from a few real \
            training steps timed on this machine. Exits with status 1 when a fine-tuning job on the file would fail \
            file validation (the server runs the same checks).
            """
    )

    @Argument(help: "Training JSONL (chat or prompt/completion).")
    var file: String

    @Option(help: "A model name or alias under DATA/models (as a job's `model`), or a model directory.")
    var model = "SmolLM2-135M-Instruct"

    @Option(name: .customLong("validation-file"), help: "Validation JSONL.")
    var validationFile: String?

    @Flag(help: "Print the report as JSON (stable snake_case keys).")
    var json = false

    @Option(name: .customLong("n-epochs"), help: "Epochs (default: auto).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Batch size (default: auto).")
    var batchSize: Int?

    @Option(name: .customLong("learning-rate-multiplier"), help: "Learning rate multiplier (default: auto).")
    var learningRateMultiplier: Double?

    @Flag(help: "Full fine-tuning instead of LoRA (rank 8, alpha 16, as jobs default to).")
    var full = false

    @Flag(name: .customLong("no-estimate"), help: "Skip timing training steps (no time estimate).")
    var noEstimate = false

    @Option(name: .customLong("estimate-seconds"), help: "Time budget for the measured training steps.")
    var estimateSeconds = 3.0

    @Option(help: "Data directory (for model names and aliases).")
    var data = "./finch-data"

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--n-epochs must be at least 1") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
        if let learningRateMultiplier, !(learningRateMultiplier > 0) { throw ValidationError("--learning-rate-multiplier must be positive") }
    }

    func run() throws {
        let directory = try Self.resolveModel(model, data: data)
        let configuration = TrainingConfiguration(
            modelDirectory: directory.path, trainingFile: file, validationFile: validationFile, outputDirectory: "",
            epochs: epochs, batchSize: batchSize, learningRateMultiplier: learningRateMultiplier,
            method: full ? .full : .lora(LoRAConfiguration(rank: 8, alpha: 16)))
        if !json && !noEstimate {
            FileHandle.standardError.write(Data("Checking \(file) and timing a few training steps of \(model)…\n".utf8))
        }
        let report: DataReport
        do {
            report = try DataReport.make(configuration, modelName: model, measure: !noEstimate, measureSeconds: estimateSeconds)
        } catch {
            throw ValidationError("cannot prepare a report with \(directory.path): \(error)")
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(Self.render(report), terminator: "")
        }
        if !report.accepted { throw ExitCode(1) }
    }

    /// A directory path as is; otherwise a base model name or alias, resolved as the server resolves a job's `model`.
    static func resolveModel(_ model: String, data: String) throws -> URL {
        if !(model.contains("/") || model.hasPrefix(".")),
           let directory = BaseModelCatalog(dataDirectory: data).baseModel(named: model) {
            return URL(fileURLWithPath: directory)
        }
        return try ModelStore.resolve(model, data: data)
    }
}

// MARK: - The human-readable report

extension PrepareDataCommand {
    static func render(_ r: DataReport) -> String {
        var out = ""
        func line(_ s: String = "") { out += s + "\n" }
        let m = r.model
        line("Model: \(m.name) (\(m.modelType), \(m.contextLength.grouped)-token context, \(m.method))")
        for f in [r.training] + (r.validation.map { [$0] } ?? []) {
            line()
            file(f, r.hyperparameters, into: line)
        }
        line()
        if let h = r.hyperparameters {
            let auto = h.auto.isEmpty ? "" : " (auto: \(h.auto.joined(separator: ", ")))"
            let over = r.training.validExamples == r.training.lines
                ? "\(r.training.validExamples) examples" : "the \(r.training.validExamples) valid examples of \(r.training.lines)"
            line("Hyperparameters\(auto), with Finch's rules for \(over):")
            line("  n_epochs \(h.nEpochs), batch_size \(h.batchSize), learning_rate_multiplier \(trimmed(h.learningRateMultiplier))"
                 + " (peak learning rate \(String(format: "%.3g", h.learningRate)))")
            line("  \(h.stepsPerEpoch) steps per epoch, \(h.totalSteps) steps")
        } else {
            line("Hyperparameters: none (no valid training example).")
        }
        line()
        if let e = r.estimate {
            line("Estimated training time on this machine: about \(duration(e.totalSeconds)) (an estimate, from measured throughput)")
            line("  measured \(e.measuredSteps) training step(s), \(e.measuredTokens.grouped) tokens in \(fixed(e.measuredSeconds, 1)) s:"
                 + " \(Int(e.tokensPerSecond.rounded()).grouped) tokens/s (forward + backward + optimizer)")
            line("  \(e.trainingTokens.grouped) training tokens → \(duration(e.trainingSeconds))"
                 + (e.validationTokensPerSecond.map { ", \(e.validationTokens.grouped) validation tokens at \(Int($0.rounded()).grouped) tokens/s → \(duration(e.validationSeconds))" } ?? "")
                 + ", model load \(fixed(e.modelLoadSeconds, 1)) s")
        } else {
            line("Estimated training time: not measured.")
        }
        line()
        if let error = r.verdict.error {
            line("Verdict: REJECTED. A fine-tuning job on these files fails with \(error.code) (\(error.param)):")
            line("  \(error.message)")
        } else {
            line("Verdict: OK. A fine-tuning job on these files passes file validation.")
        }
        return out
    }

    private static func file(_ f: DataReport.FileReport, _ h: DataReport.HyperparameterSummary?, into line: (String) -> Void) {
        let name = (f.path as NSString).lastPathComponent
        let format = f.format.map { $0 == .chat ? "chat format" : "prompt/completion format" } ?? "no format"
        line("\(f.role.capitalized) file \(name): \(f.lines) example line(s), \(format), \(f.validExamples) valid")
        let errorCount = f.errors.values.reduce(0) { $0 + $1.count }
        line(errorCount == 0 ? "  Format errors: none" : "  Format errors (\(errorCount)):")
        categories(f.errors, details: 5, into: line)
        let warningCount = f.warnings.values.reduce(0) { $0 + $1.count }
        line(warningCount == 0 ? "  Warnings: none" : "  Warnings (\(warningCount)):")
        categories(f.warnings, details: 2, into: line)
        if f.format == .promptCompletion {
            line("  Common prompt ending (separator): \(quoted(f.commonPromptSuffix)); common completion ending: \(quoted(f.commonCompletionSuffix))")
        }
        guard let t = f.tokens else {
            line("  Tokens: no example could be tokenized")
            return
        }
        line("  Tokens per example (\(t.examples) examples; model tokenizer and chat template):")
        line("    " + pad("", 16) + ["min", "median", "p90", "max", "mean"].map { pad($0, 9, right: true) }.joined())
        func row(_ label: String, _ d: DataReport.Distribution) {
            line("    " + pad(label, 16) + [String(d.min), fixed(d.median, 1), fixed(d.p90, 1), String(d.max), fixed(d.mean, 1)]
                .map { pad($0, 9, right: true) }.joined())
        }
        row("total", t.totalTokens)
        row("trained", t.trainedTokens)
        if let messages = t.messages { row("messages", messages) }
        if t.truncatedExamples > 0 {
            line("  \(t.truncatedExamples) example(s) over the context: truncation drops \(t.truncatedTokens.grouped) tokens,"
                 + " \(t.truncatedTrainedTokens.grouped) of them trained")
        } else {
            line("  No example is over the context length.")
        }
        if let billed = t.billedTokens, let h {
            line("  \(t.tokensPerEpoch.grouped) tokens per epoch; billed as \(billed.grouped) tokens (× \(h.nEpochs) epochs, OpenAI's formula)")
        } else {
            line("  \(t.tokensPerEpoch.grouped) tokens per pass (validation tokens are not billed)")
        }
    }

    private static func categories(_ groups: [String: DataReport.CategorySummary], details: Int, into line: (String) -> Void) {
        let ordered = groups.sorted {
            (DataIssueCategory(rawValue: $0.key) ?? .tooLong) < (DataIssueCategory(rawValue: $1.key) ?? .tooLong)
        }
        for (key, s) in ordered {
            let lines = s.lines.isEmpty ? "whole file"
                : (s.lines.count == 1 ? "line " : "lines ") + s.lines.prefix(12).map(String.init).joined(separator: ", ")
                    + (s.lines.count > 12 ? ", … (\(s.lines.count) lines)" : "")
            line("    \(key) ×\(s.count): \(lines)")
            for d in s.details.prefix(details) { line("      \(d.text)") }
            if s.details.count > details { line("      … and \(s.details.count - details) more") }
        }
    }

    private static func quoted(_ s: String?) -> String {
        guard let s, !s.isEmpty else { return "none" }
        var escaped = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\"": escaped += "\\\""
            default: escaped.unicodeScalars.append(ch)
            }
        }
        return "\"\(escaped)\""
    }

    static func fixed(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }

    /// 1.4142 → "1.414", 1.0 → "1".
    static func trimmed(_ v: Double) -> String {
        var s = fixed(v, 3)
        while s.contains(".") && (s.hasSuffix("0") || s.hasSuffix(".")) { s.removeLast() }
        return s
    }

    static func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - s.count))
        return right ? fill + s : s + fill
    }

    /// `TextFormatting.duration`, with a decimal under ten seconds (a short estimate is still worth reading).
    static func duration(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.1fs", seconds) : TextFormatting.duration(seconds)
    }
}

private extension Int {
    /// 26100 → "26,100".
    var grouped: String {
        let digits = String(magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (self < 0 ? "-" : "") + out
    }
}
