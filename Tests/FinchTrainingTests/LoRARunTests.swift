import FinchModels
import FinchTensor
import FinchTraining
import Foundation
import Testing

@Suite("A 10-step LoRA run follows peft's loss curve")
struct LoRARunTests {
    @Test("AdamW, warmup + linear decay and clipping from peft's initial adapter", arguments: Fixtures.archs)
    func tenSteps(arch: String) throws {
        let run = try Fixtures.json(Fixtures.dir(arch).appendingPathComponent("run.json"))
        let s = run["settings"] as! [String: Any]
        let model = try TrainingModel(directory: Fixtures.model(arch), method: .lora(LoRAConfiguration(rank: 8, alpha: 16)), seed: 1)
        try model.loadAdapter(directory: Fixtures.dir(arch).appendingPathComponent("run_init"))
        let betas = s["betas"] as! [Double]
        let opt = AdamW(parameters: model.parameters, settings: AdamWSettings(
            beta1: betas[0], beta2: betas[1], eps: s["eps"] as! Double, weightDecay: s["weight_decay"] as! Double))
        let schedule = LinearSchedule(peak: s["lr"] as! Double, warmupSteps: s["warmup_steps"] as! Int, totalSteps: s["total_steps"] as! Int)
        let data = run["data"] as! [[String: Any]]
        let expected = (run["losses"] as! [NSNumber]).map(\.doubleValue)
        var losses: [Double] = []
        for step in 0..<expected.count {
            let batch = Fixtures.microBatch([data[(2 * step) % 4], data[(2 * step + 1) % 4]])
            model.zeroGrad()
            var rng = SplitMix64(seed: 0)
            let stats = try model.forwardBackward(batch, gradScale: Float(1 / batch.weightSum), rng: &rng)
            clipGradNorm(model.parameters, maxNorm: s["max_grad_norm"] as! Double)
            opt.step(model.parameters, lr: schedule.learningRate(completed: step))
            losses.append(stats.meanLoss)
        }
        let worst = zip(losses, expected).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-3, "losses \(losses) vs \(expected)")
        // and the adapter after 10 steps equals peft's
        let final = try SafeTensorsFile(path: Fixtures.dir(arch).appendingPathComponent("run_final/adapter_model.safetensors").path)
        var worstW: Float = 0
        for p in model.parameters { worstW = max(worstW, p.value.maxAbsDiff(try final.tensor(p.name))) }
        // Adam divides by sqrt(v): float rounding in early tiny gradients moves weights by a fraction of one step (lr 5e-3)
        #expect(worstW < 5e-4)
        print("[\(arch)] 10-step LoRA: max loss diff \(worst), max adapter weight diff \(worstW)")
    }
}
