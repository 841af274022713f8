import FinchModels
import FinchTensor
import Foundation

extension TrainingModel {
    /// Copies a PEFT adapter (adapter_model.safetensors in `directory`) into this model's LoRA tensors.
    /// Every adapter tensor must exist in the file with the same shape.
    public func loadAdapter(directory: URL) throws {
        guard case .lora = method else { throw TrainingError.invalidConfiguration("loadAdapter needs a LoRA model") }
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("adapter_model.safetensors").path)
        for p in parameters {
            let t = try file.tensor(p.name)
            guard t.shape == p.value.shape else {
                throw TrainingError.model("adapter tensor \(p.name) has shape \(t.shape), expected \(p.value.shape)")
            }
            p.value.ptr.update(from: t.ptr, count: t.count)
        }
    }

    /// The PEFT `adapter_config.json` object for this model's adapter.
    public func adapterConfig(baseModel: String) -> [String: Any] {
        guard case .lora(let lc) = method else { return [:] }
        return [
            "alpha_pattern": [String: Any](), "auto_mapping": NSNull(), "base_model_name_or_path": baseModel,
            "bias": "none", "fan_in_fan_out": isGPT2, "inference_mode": true, "init_lora_weights": true,
            "layers_pattern": NSNull(), "layers_to_transform": NSNull(), "lora_alpha": lc.alpha,
            "lora_dropout": lc.dropout, "modules_to_save": NSNull(), "peft_type": "LORA", "r": lc.rank,
            "rank_pattern": [String: Any](), "revision": NSNull(),
            "target_modules": lc.resolvedTargets(modelType: config.modelType).sorted(),
            "task_type": "CAUSAL_LM", "use_dora": false, "use_rslora": false,
        ]
    }

    /// Writes the trained weights into `directory` (created), atomically (temp files + fsync + rename):
    /// LoRA: `adapter_config.json` + `adapter_model.safetensors` (loadable by `PeftModel.from_pretrained`);
    /// full: `model.safetensors` + `config.json`.
    public func saveCheckpoint(to directory: URL, baseModel: String) throws {
        let fm = FileManager.default
        try? fm.createDirectory(at: directory, withIntermediateDirectories: true)
        switch method {
        case .lora:
            var tensors: [String: Tensor] = [:]
            for p in parameters { tensors[p.name] = p.value }
            try AtomicFile.write(to: directory.appendingPathComponent("adapter_model.safetensors")) { tmp in
                try SafeTensors.write(tensors, to: tmp)
            }
            let json = try JSONSerialization.data(withJSONObject: adapterConfig(baseModel: baseModel),
                                                  options: [.sortedKeys, .prettyPrinted])
            try AtomicFile.write(json, to: directory.appendingPathComponent("adapter_config.json"))
        case .full:
            var tensors = baseWeights
            if config.tieWordEmbeddings { tensors["lm_head.weight"] = nil }
            try AtomicFile.write(to: directory.appendingPathComponent("model.safetensors")) { tmp in
                try SafeTensors.write(tensors, to: tmp)
            }
            let json = try JSONSerialization.data(withJSONObject: config.jsonObject(), options: [.sortedKeys, .prettyPrinted])
            try AtomicFile.write(json, to: directory.appendingPathComponent("config.json"))
        }
    }
}

/// Writing files so no reader ever sees a partial one: a temp name in the same directory, fsync, rename.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        try write(to: url) { tmp in
            guard FileManager.default.createFile(atPath: tmp.path, contents: data) else {
                throw TrainingError.io(path: tmp.path, reason: "cannot create file")
            }
        }
    }

    /// Calls `produce` with a temp URL to fill, then fsyncs it and renames it over `url`.
    public static func write(to url: URL, _ produce: (URL) throws -> Void) throws {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try? FileManager.default.removeItem(at: tmp)
        try produce(tmp)
        let fd = open(tmp.path, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(tmp.path, url.path) == 0 else {
            throw TrainingError.io(path: url.path, reason: "rename failed: \(String(cString: strerror(errno)))")
        }
        let dfd = open(url.deletingLastPathComponent().path, O_RDONLY)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
