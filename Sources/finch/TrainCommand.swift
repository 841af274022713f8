import ArgumentParser
import FinchClient
import FinchTraining
import Foundation

/// `finch train`: fine-tune a local model on OpenAI-format JSONL (LoRA by default, or full).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fine-tune a model on chat or prompt/completion JSONL.",
        discussion: """
            finch train --model SmolLM2-135M-Instruct --training-file marv_train.jsonl --epochs 3 \
            --batch-size 8 --learning-rate 1e-3 --output runs/marv
            Writes OUTPUT/adapter (a PEFT adapter; OUTPUT/model with --full), per-epoch checkpoints under
            OUTPUT/checkpoints, OUTPUT/results.csv and a resume state (continue with --resume).
            Unset hyperparameters are resolved like OpenAI's "auto".
            """
    )

    @Option(help: "A model name under DATA/models, or a model directory.")
    var model: String

    @Option(name: .customLong("training-file"), help: "Training JSONL (chat or prompt/completion).")
    var trainingFile: String

    @Option(name: .customLong("validation-file"), help: "Validation JSONL.")
    var validationFile: String?

    @Option(help: "Epochs (default: auto).")
    var epochs: Int?

    @Option(name: .customLong("batch-size"), help: "Examples per optimizer step (default: auto).")
    var batchSize: Int?

    @Option(name: .customLong("learning-rate"), help: "Peak learning rate.")
    var learningRate: Double?

    @Option(name: .customLong("learning-rate-multiplier"), help: "Multiplier of the base learning rate (2e-4 LoRA, 1e-5 full).")
    var learningRateMultiplier: Double?

    @Option(name: .customLong("lora-rank"), help: "LoRA rank.")
    var loraRank = 8

    @Option(name: .customLong("lora-alpha"), help: "LoRA alpha (default: 2 × rank).")
    var loraAlpha: Double?

    @Option(name: .customLong("lora-dropout"), help: "LoRA dropout.")
    var loraDropout = 0.0

    @Option(name: .customLong("lora-targets"), help: "Comma-separated target modules (default: all linear projections).")
    var loraTargets: String?

    @Flag(help: "Full fine-tuning instead of LoRA.")
    var full = false

    @Option(help: "Random seed.")
    var seed: UInt64 = 42

    @Option(name: .customLong("prompt-loss-weight"), help: "Weight of prompt tokens (prompt/completion data).")
    var promptLossWeight = 0.01

    @Option(name: .customLong("warmup-steps"), help: "Linear warmup steps.")
    var warmupSteps = 0

    @Option(name: .customLong("max-length"), help: "Truncate examples to this many tokens.")
    var maxLength: Int?

    @Option(help: "Output directory.")
    var output: String

    @Flag(help: "Continue from OUTPUT/resume_state.safetensors.")
    var resume = false

    @Option(help: "Data directory (for model names).")
    var data = "./finch-data"

    func run() throws {
        if learningRate != nil && learningRateMultiplier != nil {
            throw ValidationError("give --learning-rate or --learning-rate-multiplier, not both")
        }
        let dir = try ModelStore.resolve(model, data: data)
        let method: TrainingMethod = full ? .full : .lora(LoRAConfiguration(
            rank: loraRank, alpha: loraAlpha ?? Double(2 * loraRank), dropout: loraDropout,
            targets: loraTargets.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }))
        let config = TrainingConfiguration(
            modelDirectory: dir.path, trainingFile: trainingFile, validationFile: validationFile, outputDirectory: output,
            epochs: epochs, batchSize: batchSize, learningRate: learningRate, learningRateMultiplier: learningRateMultiplier,
            method: method, seed: seed, promptLossWeight: promptLossWeight, maxSequenceLength: maxLength,
            warmupSteps: warmupSteps)
        let result: TrainingResult
        do {
            result = try Trainer.run(config, resume: resume, observe: Self.report)
        } catch let e as DataValidationError {
            throw ValidationError("\(e.code): \(e.message)")
        }
        if let m = result.lastMetrics {
            print(String(format: "final: train_loss=%.4f train_accuracy=%.4f", m.trainLoss, m.trainAccuracy)
                  + (m.fullValidLoss.map { String(format: " full_valid_loss=%.4f full_valid_accuracy=%.4f", $0, m.fullValidAccuracy ?? 0) } ?? ""))
        }
        print("trained tokens: \(result.trainedTokens)")
        print("results: \(result.resultsCSV)")
        if let out = result.outputModelDirectory { print("output: \(out)") }
    }

    /// Prints the plan, a live progress line per step (stderr) and checkpoints.
    static func report(_ event: TrainingEvent) {
        switch event {
        case .started(let p):
            FileHandle.standardError.write(Data(("compute: \(ComputeBackend.summary)\n").utf8))
            FileHandle.standardError.write(Data(("examples=\(p.examples) validation=\(p.validationExamples) epochs=\(p.epochs) batch_size=\(p.batchSize) "
                  + String(format: "lr=%.3g", p.learningRate) + " steps=\(p.totalSteps) trainable=\(p.trainableParameters)"
                  + (p.truncatedExamples > 0 ? " truncated=\(p.truncatedExamples)" : "")
                  + (p.resumedFromStep > 0 ? " resumed_at=\(p.resumedFromStep)" : "") + "\n").utf8))
        case .step(let m):
            var line = String(format: "\rstep %d/%d epoch %d loss=%.4f acc=%.3f", m.step, m.totalSteps, m.epoch, m.trainLoss, m.trainAccuracy)
            if let v = m.validLoss { line += String(format: " valid_loss=%.4f", v) }
            line += String(format: " %.0f tok/s ETA ", m.tokensPerSecond) + TextFormatting.duration(m.eta)
            FileHandle.standardError.write(Data((line + "   ").utf8))
        case .checkpoint(let c):
            FileHandle.standardError.write(Data("\n".utf8))
            var s = "checkpoint epoch \(c.epoch) step \(c.step): \(c.directory)"
            if let v = c.metrics.fullValidLoss { s += String(format: " full_valid_loss=%.4f", v) }
            FileHandle.standardError.write(Data((s + "\n").utf8))
        case .resumeStateSaved, .finished:
            break
        }
    }
}
