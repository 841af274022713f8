import FinchTensor
import Foundation

/// Writes a model out of Finch in a format other tools load (issue 7: `finch export` and
/// `GET /v1/models/{model}/export`):
/// - `peft`: the LoRA adapter directory as trained (`exportAdapter`);
/// - `safetensors`: an HF directory — the base's config.json, tokenizer and generation files, and
///   `model.safetensors` with the given (merged) weights in F32, F16 or BF16;
/// - `gguf`: one GGUF v3 file for llama.cpp (see `GGUFModelExport`).
/// Every output is built under a temp name beside `output` and renamed into place: never a partial file.
public enum ModelExporter {
    /// Files of the base directory copied into a `safetensors` export (the weights are written anew).
    static let companionFiles = [
        "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "chat_template.jinja", "chat_template.json",
    ]

    /// The dtype to use: `requested` if the format has it, else the format's default.
    public static func resolveDType(_ requested: ExportDType?, for format: ExportFormat) throws -> ExportDType {
        guard let requested else { return format.defaultDType }
        guard format.dtypes.contains(requested) else { throw ExportError.unsupportedDType(format: format, dtype: requested) }
        return requested
    }

    /// Copies a PEFT adapter directory (adapter_config.json, adapter_model.safetensors, README.md if any) to `output`.
    public static func exportAdapter(directory: URL, to output: URL) throws {
        let fm = FileManager.default
        for required in ["adapter_config.json", "adapter_model.safetensors"] {
            guard fm.fileExists(atPath: directory.appendingPathComponent(required).path) else {
                throw ExportError.invalidModel("\(directory.path) has no \(required)")
            }
        }
        try ExportOutput.writeDirectory(output) { tmp in
            for file in ["adapter_config.json", "adapter_model.safetensors", "README.md"] {
                let src = directory.appendingPathComponent(file)
                guard fm.fileExists(atPath: src.path) else { continue }
                try fm.copyItem(at: src, to: tmp.appendingPathComponent(file))
            }
        }
    }

    /// Writes `weights` (HF names, fp32) with `config` as `format` (safetensors or gguf). The tokenizer,
    /// chat template and generation settings come from `tokenizerDirectory` (the base model's directory).
    /// The weights are checked by building the network first, so a broken model writes nothing.
    public static func export(weights: [String: Tensor], config: ModelConfig, tokenizerDirectory: URL,
                              format: ExportFormat, dtype: ExportDType, name: String, to output: URL) throws {
        _ = try resolveDType(dtype, for: format)
        do {
            _ = try ModelRegistry.build(config: config, weights: Weights(weights))
        } catch let e as ModelError {
            throw ExportError.invalidModel(e.description)
        }
        switch format {
        case .peft:
            throw ExportError.notAnAdapter(name)
        case .safetensors:
            try ExportOutput.writeDirectory(output) { tmp in
                try writeHFDirectory(weights: weights, config: config, from: tokenizerDirectory, dtype: dtype, name: name, into: tmp)
            }
        case .gguf:
            _ = try GGUFModelExport.architecture(config.modelType)
            try ExportOutput.writeFile(output) { tmp in
                try GGUFModelExport.write(weights: weights, config: config, tokenizerDirectory: tokenizerDirectory,
                                          dtype: dtype, name: name, to: tmp)
            }
        }
    }

    private static func writeHFDirectory(weights: [String: Tensor], config: ModelConfig, from base: URL, dtype: ExportDType,
                                         name: String, into dir: URL) throws {
        let fm = FileManager.default
        for file in companionFiles where fm.fileExists(atPath: base.appendingPathComponent(file).path) {
            try fm.copyItem(at: base.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        // The base's config.json keeps fields Finch does not model (initializer_range, pad_token_id, ...);
        // only the stored dtype changes.
        var json = (LoadedModel.readJSON(base.appendingPathComponent("config.json")) ?? config.jsonObject())
        let torchDType = ["f32": "float32", "f16": "float16", "bf16": "bfloat16"][dtype.rawValue] ?? "float32"
        if json["dtype"] != nil { json["dtype"] = torchDType }
        json["torch_dtype"] = torchDType
        try ModelImporter.writeJSON(json, to: dir.appendingPathComponent("config.json"))
        try SafeTensorsExportWriter.write(weights, dtype: dtype, metadata: ["format": "pt", "source": "finch export \(name)"],
                                          to: dir.appendingPathComponent("model.safetensors").path)
    }
}
