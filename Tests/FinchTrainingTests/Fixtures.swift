import FinchModels
import FinchTensor
import FinchTraining
import Foundation

/// Paths of the committed fixtures (no resources in Package.swift: found from this file's path).
enum Fixtures {
    static let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let training = here.appendingPathComponent("Fixtures")
    /// The tiny random HF models of scripts/make_tiny_models.py.
    static func model(_ arch: String) -> URL {
        here.deletingLastPathComponent().appendingPathComponent("FinchModelsTests/Fixtures/tiny/\(arch)")
    }
    static func dir(_ arch: String) -> URL { training.appendingPathComponent(arch) }

    static func json(_ url: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: url)
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A packed micro-batch of the sequences in a fixture's `batch.json`-style list.
    static func microBatch(_ seqs: [[String: Any]]) -> MicroBatch {
        var mb = MicroBatch()
        for s in seqs {
            let ids = (s["ids"] as! [NSNumber]).map { Int32($0.intValue) }
            let w = (s["weights"] as! [NSNumber]).map { $0.floatValue }
            mb.append(tokens: ids, lossWeights: w)
        }
        return mb
    }

    /// max|a - b| / max|b| over a tensor (the tensor's own scale).
    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        var scale: Float = 1e-12
        for i in 0..<b.count { scale = max(scale, abs(b.ptr[i])) }
        return a.maxAbsDiff(b) / scale
    }

    static let archs = ["llama", "qwen2", "qwen3", "gpt2"]
}
