import FinchModels
import FinchTensor
import Foundation

/// A PEFT LoRA adapter directory: `adapter_config.json` (`r`, `lora_alpha`, `use_rslora`) and
/// `adapter_model.safetensors` with `base_model.model.<HF weight name minus .weight>.lora_A.weight`
/// (r, in) and `….lora_B.weight` (out, r) per adapted linear layer.
///
/// Served, it runs on the shared base network: each adapted linear layer adds scale·B·(A·x) to its output
/// (scale = alpha/r, or alpha/√r with rsLoRA) — no merged copy of W, so an adapter costs only its A and B.
public struct LoRAAdapter: Sendable {
    public let rank: Int
    public let alpha: Double
    public let useRSLoRA: Bool
    /// Base weight name (`model.layers.0.self_attn.q_proj.weight`) → (A: (r, in), B: (out, r)).
    public let pairs: [String: (a: Tensor, b: Tensor)]

    public var scale: Double { useRSLoRA ? alpha / Double(rank).squareRoot() : alpha / Double(rank) }

    static func validateDirectory(_ directory: URL) throws {
        for file in ["adapter_config.json", "adapter_model.safetensors"] {
            guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path) else {
                throw ModelHostError.invalidAdapter("\(directory.path) has no \(file)")
            }
        }
    }

    /// Whether `directory` holds a PEFT adapter (else it may hold fully fine-tuned weights).
    static func isAdapter(_ directory: URL) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("adapter_config.json").path)
    }

    /// Checks a fine-tuned model directory: a PEFT adapter, or full weights (config.json + *.safetensors).
    static func validateFineTuned(_ directory: URL) throws {
        if isAdapter(directory) { return try validateDirectory(directory) }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        guard files.contains("config.json"), files.contains(where: { $0.hasSuffix(".safetensors") }) else {
            throw ModelHostError.invalidAdapter(
                "\(directory.path) holds neither a PEFT adapter (adapter_config.json + adapter_model.safetensors) nor full weights (config.json + *.safetensors)")
        }
    }

    /// Fully fine-tuned weights in `directory` with the base's tokenizer, chat template and end tokens.
    static func loadFullWeights(directory: URL, base: LoadedModel) throws -> LoadedModel {
        let network = try ModelLoader.loadModel(directory: directory)
        guard network.config.vocabSize == base.config.vocabSize else {
            throw ModelHostError.invalidAdapter("the fine-tuned weights have vocabulary \(network.config.vocabSize), the base \(base.config.vocabSize)")
        }
        return base.replacingNetwork(network)
    }

    /// Reads and checks an adapter directory.
    public static func load(directory: URL) throws -> LoRAAdapter {
        try validateDirectory(directory)
        let configURL = directory.appendingPathComponent("adapter_config.json")
        guard let data = FileManager.default.contents(atPath: configURL.path),
              let config = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw ModelHostError.invalidAdapter("adapter_config.json is not a JSON object")
        }
        if let type = config["peft_type"] as? String, type.uppercased() != "LORA" {
            throw ModelHostError.invalidAdapter("peft_type \(type) is not supported (only LORA)")
        }
        guard let rank = (config["r"] as? NSNumber)?.intValue, rank > 0 else {
            throw ModelHostError.invalidAdapter("adapter_config.json needs a positive integer r")
        }
        let alpha = (config["lora_alpha"] as? NSNumber)?.doubleValue ?? Double(rank)
        let rs = (config["use_rslora"] as? Bool) ?? false
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("adapter_model.safetensors").path)
        var halves: [String: (a: Tensor?, b: Tensor?)] = [:]
        for name in file.names {
            guard name.hasPrefix("base_model.model.") else { continue }
            let stem = String(name.dropFirst("base_model.model.".count))
            if stem.hasSuffix(".lora_A.weight") {
                halves[String(stem.dropLast(".lora_A.weight".count)) + ".weight", default: (nil, nil)].a = try file.tensor(name)
            } else if stem.hasSuffix(".lora_B.weight") {
                halves[String(stem.dropLast(".lora_B.weight".count)) + ".weight", default: (nil, nil)].b = try file.tensor(name)
            }
        }
        var pairs: [String: (a: Tensor, b: Tensor)] = [:]
        for (weight, half) in halves {
            guard let a = half.a, let b = half.b else {
                throw ModelHostError.invalidAdapter("\(weight) has only one of lora_A / lora_B")
            }
            guard a.rank == 2, b.rank == 2, a.shape[0] == b.shape[1] else {
                throw ModelHostError.invalidAdapter("\(weight): lora_A \(a.shape) and lora_B \(b.shape) do not chain")
            }
            pairs[weight] = (a, b)
        }
        guard !pairs.isEmpty else { throw ModelHostError.invalidAdapter("adapter_model.safetensors holds no LoRA weights") }
        return LoRAAdapter(rank: rank, alpha: alpha, useRSLoRA: rs, pairs: pairs)
    }

    /// The base model served with this adapter: the same base network (nothing copied) whose forward pass
    /// adds scale·B·(A·x) to the adapted linear layers. Throws when the adapter does not fit the base.
    public func served(on base: LoadedModel) throws -> LoadedModel {
        let linear: LinearAdapter
        do {
            linear = try LinearAdapter(pairs: pairs, scale: scale, base: base.network.weights)
        } catch let error as LinearAdapterError {
            throw ModelHostError.invalidAdapter(error.description)
        }
        return base.replacingNetwork(AdaptedNetwork(base: base.network, adapter: linear))
    }
}
