import FinchTraining
import Foundation
import Testing

@Suite("The trainer: runs, checkpoints, resumes exactly")
struct TrainerTests {
    static func dataFile(_ dir: URL, count: Int = 12) throws -> URL {
        let capitals = [("Peru", "Lima"), ("Laos", "Vientiane"), ("Ireland", "Dublin"), ("Chile", "Santiago"),
                        ("Kenya", "Nairobi"), ("Japan", "Tokyo"), ("Egypt", "Cairo"), ("Spain", "Madrid")]
        var lines: [String] = []
        for i in 0..<count {
            let (c, k) = capitals[i % capitals.count]
            lines.append(#"{"messages": [{"role": "system", "content": "Marv is sarcastic."}, {"role": "user", "content": "Capital of \#(c)?"}, {"role": "assistant", "content": "\#(k), as if you didn't know."}]}"#)
        }
        let url = dir.appendingPathComponent("train.jsonl")
        try Data(lines.joined(separator: "\n").utf8).write(to: url)
        return url
    }

    static func tempDir(_ name: String) -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("finch-train-\(name)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    func config(_ dir: URL, out: String, arch: String = "llama", method: TrainingMethod = .lora(LoRAConfiguration(rank: 4, alpha: 8, dropout: 0.1))) throws -> TrainingConfiguration {
        let data = try Self.dataFile(dir)
        return TrainingConfiguration(
            modelDirectory: Fixtures.model(arch).path, trainingFile: data.path, validationFile: data.path,
            outputDirectory: dir.appendingPathComponent(out).path, epochs: 2, batchSize: 4, learningRate: 5e-3,
            method: method, seed: 7, warmupSteps: 1, validationInterval: 2, resumeStateInterval: 1e9)
    }

    @Test("a LoRA run reports steps, writes per-epoch PEFT checkpoints, results.csv and lowers the loss")
    func loraRun() throws {
        let dir = Self.tempDir("lora")
        defer { try? FileManager.default.removeItem(at: dir) }
        var events: [TrainingEvent] = []
        let r = try Trainer.run(try config(dir, out: "run"), observe: { events.append($0) })
        #expect(r.completed && r.steps == 6 && r.totalSteps == 6)
        #expect(r.checkpoints.count == 2)
        let steps = events.compactMap { if case .step(let m) = $0 { m } else { nil } }
        #expect(steps.count == 6)
        #expect(steps.last!.trainLoss < steps.first!.trainLoss)
        #expect(steps[1].validLoss != nil && steps[0].validLoss == nil)
        #expect(steps[2].fullValidLoss != nil)
        let ckpt = URL(fileURLWithPath: r.checkpoints[0].directory)
        for f in ["adapter_config.json", "adapter_model.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: ckpt.appendingPathComponent(f).path))
        }
        let csv = try String(contentsOfFile: r.resultsCSV, encoding: .utf8).split(separator: "\n")
        #expect(csv[0] == "step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy")
        #expect(csv.count == 7)
        #expect(r.trainedTokens > 0)
    }

    @Test("stopping mid-epoch and resuming gives the same losses and the same adapter bytes")
    func resumeExactly() throws {
        let dir = Self.tempDir("resume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let straight = try Trainer.run(try config(dir, out: "a"))
        var c = try config(dir, out: "b")
        var calls = 0
        let first = try Trainer.run(c, shouldStop: { calls += 1; return calls > 4 })
        #expect(!first.completed && first.steps == 4)
        c.resumeStateInterval = 0  // also exercises the periodic writes
        let second = try Trainer.run(c, resume: true)
        #expect(second.completed && second.steps == 6)
        let a = try String(contentsOfFile: straight.resultsCSV, encoding: .utf8)
        let b = try String(contentsOfFile: second.resultsCSV, encoding: .utf8)
        #expect(a == b)
        let wa = try Data(contentsOf: URL(fileURLWithPath: straight.outputModelDirectory!).appendingPathComponent("adapter_model.safetensors"))
        let wb = try Data(contentsOf: URL(fileURLWithPath: second.outputModelDirectory!).appendingPathComponent("adapter_model.safetensors"))
        #expect(wa == wb)
    }

    @Test("a checkpoint is announced only once its step's resume state is on disk: a kill right then resumes from it")
    func announcedCheckpointsAreResumable() throws {
        let dir = Self.tempDir("announced")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = try config(dir, out: "run")
        // what a process killed the moment the checkpoint became visible would leave on disk
        let killed = dir.appendingPathComponent("killed")
        var snapshotAt: Int?
        _ = try Trainer.run(c, observe: { event in
            if case .checkpoint(let info) = event, snapshotAt == nil {
                snapshotAt = info.step
                try? FileManager.default.copyItem(atPath: c.outputDirectory, toPath: killed.path)
            }
        })
        #expect(snapshotAt == 3)  // 12 examples in batches of 4: the first epoch ends at step 3
        var again = c
        again.outputDirectory = killed.path
        var resumedFrom: Int?
        let r = try Trainer.run(again, resume: true, observe: { if case .started(let plan) = $0 { resumedFrom = plan.resumedFromStep } })
        #expect(resumedFrom == 3)
        #expect(r.completed && r.steps == 6)
    }

    @Test("full fine-tuning of GPT-2 writes a loadable model directory")
    func fullRun() throws {
        let dir = Self.tempDir("full")
        defer { try? FileManager.default.removeItem(at: dir) }
        var c = try config(dir, out: "full", arch: "gpt2", method: .full)
        c.learningRate = 1e-3
        c.epochs = 1
        let r = try Trainer.run(c)
        #expect(r.completed)
        let out = URL(fileURLWithPath: r.outputModelDirectory!)
        let m = try TrainingModel(directory: out, method: .full, seed: 0)
        #expect(m.trainableCount > 0)
    }
}
