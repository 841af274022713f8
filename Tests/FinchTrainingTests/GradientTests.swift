import FinchModels
import FinchTensor
import FinchTraining
import Foundation
import Testing

@Suite("Training gradients equal PyTorch's")
struct GradientTests {
    @Test("full fine-tuning: the loss and every weight's gradient match transformers", arguments: Fixtures.archs)
    func fullGradients(arch: String) throws {
        let model = try TrainingModel(directory: Fixtures.model(arch), method: .full, seed: 1)
        let batch = Fixtures.microBatch(try Fixtures.json(Fixtures.dir(arch).appendingPathComponent("batch.json"))["sequences"] as! [[String: Any]])
        let ref = try SafeTensorsFile(path: Fixtures.dir(arch).appendingPathComponent("full_grads.safetensors").path)
        model.zeroGrad()
        var rng = SplitMix64(seed: 0)
        let stats = try model.forwardBackward(batch, gradScale: Float(1 / batch.weightSum), rng: &rng)
        let refLoss = try ref.tensor("__loss__").toArray()[0]
        #expect(abs(Float(stats.meanLoss) - refLoss) / refLoss < 1e-5)
        var worst: (Float, String) = (0, "")
        var checked = 0
        for p in model.parameters {
            // GPT-2's tied lm_head is one tensor with the embedding in both frameworks
            let t = try ref.tensor(p.name)
            #expect(t.shape == p.grad.shape, "\(p.name)")
            let e = Fixtures.relativeError(p.grad, t)
            if e > worst.0 { worst = (e, p.name) }
            checked += 1
        }
        #expect(checked == ref.names.count - 1, "every reference gradient has a Finch parameter")
        #expect(worst.0 < 1e-4, "worst: \(worst.1) \(worst.0)")
        print("[\(arch)] full: loss \(stats.meanLoss) vs \(refLoss), worst gradient relative error \(worst.0) (\(worst.1))")
        for p in model.parameters where Fixtures.relativeError(p.grad, try ref.tensor(p.name)) > 1e-4 {
            Issue.record("\(arch) \(p.name): \(Fixtures.relativeError(p.grad, try ref.tensor(p.name)))")
        }
    }

    @Test("LoRA: gradients of a random peft adapter match peft's, frozen weights have no gradient", arguments: Fixtures.archs)
    func loraGradients(arch: String) throws {
        let model = try TrainingModel(directory: Fixtures.model(arch), method: .lora(LoRAConfiguration(rank: 4, alpha: 8)), seed: 1)
        try model.loadAdapter(directory: Fixtures.dir(arch).appendingPathComponent("lora_init"))
        let batch = Fixtures.microBatch(try Fixtures.json(Fixtures.dir(arch).appendingPathComponent("batch.json"))["sequences"] as! [[String: Any]])
        let ref = try SafeTensorsFile(path: Fixtures.dir(arch).appendingPathComponent("lora_grads.safetensors").path)
        model.zeroGrad()
        var rng = SplitMix64(seed: 0)
        let stats = try model.forwardBackward(batch, gradScale: Float(1 / batch.weightSum), rng: &rng)
        let refLoss = try ref.tensor("__loss__").toArray()[0]
        #expect(abs(Float(stats.meanLoss) - refLoss) / refLoss < 1e-5)
        #expect(model.parameters.count == ref.names.count - 1)
        #expect(model.parameters.allSatisfy { $0.name.contains(".lora_") })
        var worst: (Float, String) = (0, "")
        for p in model.parameters {
            let e = Fixtures.relativeError(p.grad, try ref.tensor(p.name))
            if e > worst.0 { worst = (e, p.name) }
        }
        #expect(worst.0 < 1e-4, "worst: \(worst.1) \(worst.0)")
        print("[\(arch)] LoRA: loss \(stats.meanLoss) vs \(refLoss), worst gradient relative error \(worst.0) (\(worst.1))")
    }
}
