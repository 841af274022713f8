import FinchModels
import FinchTensor
import Foundation

/// What a killed run needs to continue exactly: trainable tensors, AdamW moments and step, the data
/// cursor (the step: batches and dropout masks are functions of seed and step), metrics so far.
/// One safetensors file, written atomically; the JSON state rides in its `__metadata__`.
struct ResumeState: Codable {
    var version = 1
    /// Identifies the run's settings and data; a resume with different ones is refused.
    var fingerprint: String
    var step: Int
    var adamT: Int
    var trainedTokens: Int
    var csvRows: [String]
    var checkpoints: [CheckpointInfo]
    var lastMetrics: StepMetrics?
    var completed: Bool

    static func write(_ state: ResumeState, model: TrainingModel, optimizer: AdamW, to url: URL) throws {
        var tensors: [String: Tensor] = [:]
        for (i, p) in model.parameters.enumerated() {
            tensors["param/" + p.name] = p.value
            tensors["adam_m/" + p.name] = optimizer.m[i]
            tensors["adam_v/" + p.name] = optimizer.v[i]
        }
        let json = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        try AtomicFile.write(to: url) { tmp in
            try SafeTensors.write(tensors, metadata: ["format": "pt", "finch_state": json], to: tmp)
        }
    }

    /// Reads the state and copies tensors into `model` and `optimizer`.
    static func read(from url: URL, model: TrainingModel, optimizer: AdamW) throws -> ResumeState {
        let file = try SafeTensorsFile(path: url.path)
        guard let json = file.metadata["finch_state"],
              let state = try? JSONDecoder().decode(ResumeState.self, from: Data(json.utf8)) else {
            throw TrainingError.resumeMismatch("\(url.path) holds no Finch resume state")
        }
        for (i, p) in model.parameters.enumerated() {
            for (prefix, dst) in [("param/", p.value), ("adam_m/", optimizer.m[i]), ("adam_v/", optimizer.v[i])] {
                let t = try file.tensor(prefix + p.name)
                guard t.count == dst.count else { throw TrainingError.resumeMismatch("tensor \(p.name) changed shape") }
                dst.ptr.update(from: t.ptr, count: t.count)
            }
        }
        optimizer.t = state.adamT
        return state
    }
}
