import FinchTraining
import Foundation
import Testing

/// Writes Finch-trained adapters for scripts/verify_finch_adapters.py (Python peft loads them and must give the
/// same loss). Runs only with FINCH_PEFT_EXPORT=DIR set, by hand.
@Suite("Adapters for the peft round trip") struct PeftExportTests {
    @Test("a short LoRA run writes an adapter and its loss on the fixture batch", arguments: Fixtures.archs) func export(arch: String) throws {
        guard let root = ProcessInfo.processInfo.environment["FINCH_PEFT_EXPORT"] else { return }
        let dir = URL(fileURLWithPath: root).appendingPathComponent(arch)
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let data = try TrainerTests.dataFile(dir)
        let c = TrainingConfiguration(modelDirectory: Fixtures.model(arch).path, trainingFile: data.path,
                                      outputDirectory: dir.appendingPathComponent("out").path, epochs: 2, batchSize: 4,
                                      learningRate: 2e-2, method: .lora(LoRAConfiguration()), seed: 3)
        let r = try Trainer.run(c)
        let m = try TrainingModel(directory: Fixtures.model(arch), method: .lora(LoRAConfiguration()), seed: 0)
        try m.loadAdapter(directory: URL(fileURLWithPath: r.outputModelDirectory!))
        let batch = Fixtures.microBatch(try Fixtures.json(Fixtures.dir(arch).appendingPathComponent("batch.json"))["sequences"] as! [[String: Any]])
        var rng = SplitMix64(seed: 0)
        let s = try m.forwardBackward(batch, gradScale: nil, rng: &rng)
        try "\(s.meanLoss)".write(to: dir.appendingPathComponent("finch_loss.txt"), atomically: true, encoding: .utf8)
    }
}
