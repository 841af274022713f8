import FinchModels
import FinchTensor
import Foundation

/// Folds a LoRA adapter into base weights for export: W' = W + scale·B·A for every adapted layer.
/// (Serving applies adapters without merging; exporting a standalone model needs them merged.)
public enum AdapterMerge {
    /// `weights` with `adapter` merged in; tensors the adapter does not touch are shared, not copied.
    public static func merged(_ weights: [String: Tensor], with adapter: LoRAAdapter) throws -> [String: Tensor] {
        var out = weights
        let s = Float(adapter.scale)
        for (name, pair) in adapter.pairs {
            let (a, b) = pair
            let w: Tensor
            do { w = try LinearAdapter.check(name: name, a: a, b: b, against: weights) } catch let error as LinearAdapterError {
                throw ExportError.invalidModel("the adapter does not fit the base model: \(error)")
            }
            let r = a.shape[0], C = a.shape[1], OC = b.shape[0]
            // merging writes W as (out, in); GPT-2's (in, out) Conv1D weights are not exported
            guard w.shape == [OC, C] else {
                throw ExportError.invalidModel("\(name): the base weight is \(w.shape), merging needs (\(OC), \(C))")
            }
            // merged: (OC, C) = W + s · B (OC, r) @ A (r, C)
            let m = w.copy()
            let mp = m.ptr, ap = a.ptr, bp = b.ptr
            parallelFor(OC, minChunk: 8) { rows in
                for o in rows {
                    let row = mp + o * C
                    for k in 0..<r {
                        let coefficient = s * bp[o * r + k]
                        if coefficient == 0 { continue }
                        let arow = ap + k * C
                        for c in 0..<C { row[c] += coefficient * arow[c] }
                    }
                }
            }
            out[name] = m
        }
        return out
    }
}

/// One export from model directories: the base model, and optionally what fine-tuning produced
/// (a PEFT adapter directory, or a directory of fully fine-tuned weights). Shared by `finch export`
/// and the HTTP export endpoint.
public struct ModelExportJob: Sendable {
    public var baseDirectory: URL
    public var fineTunedDirectory: URL?
    /// The model's name, recorded in the output (GGUF `general.name`, safetensors metadata).
    public var name: String

    public init(baseDirectory: URL, fineTunedDirectory: URL? = nil, name: String) {
        self.baseDirectory = baseDirectory
        self.fineTunedDirectory = fineTunedDirectory
        self.name = name
    }

    /// Whether the fine-tuned directory holds a PEFT adapter (else full weights, or nothing for a base model).
    public var adapterDirectory: URL? {
        guard let dir = fineTunedDirectory,
              FileManager.default.fileExists(atPath: dir.appendingPathComponent("adapter_config.json").path) else { return nil }
        return dir
    }

    /// Writes `format` to `output` (a directory for peft/safetensors, a file for gguf).
    public func run(format: ExportFormat, dtype requested: ExportDType? = nil, to output: URL) throws {
        let dtype = try ModelExporter.resolveDType(requested, for: format)
        if format == .peft {
            guard let adapter = adapterDirectory else { throw ExportError.notAnAdapter(name) }
            return try ModelExporter.exportAdapter(directory: adapter, to: output)
        }
        let (weights, config) = try mergedWeights()
        try ModelExporter.export(weights: weights, config: config, tokenizerDirectory: baseDirectory, format: format,
                                 dtype: dtype, name: name, to: output)
    }

    /// The weights to export: the base's, with the adapter merged in, or the fully fine-tuned ones.
    public func mergedWeights() throws -> ([String: Tensor], ModelConfig) {
        do {
            if let adapterDir = adapterDirectory {
                let config = try ModelConfig.load(directory: baseDirectory)
                let adapter: LoRAAdapter
                do { adapter = try LoRAAdapter.load(directory: adapterDir) } catch {
                    throw ExportError.invalidModel("\(error)")
                }
                return (try AdapterMerge.merged(try SafeTensors.loadDirectory(baseDirectory), with: adapter), config)
            }
            let dir = fineTunedDirectory ?? baseDirectory
            return (try SafeTensors.loadDirectory(dir), try ModelConfig.load(directory: dir))
        } catch let e as ModelError {
            throw ExportError.invalidModel(e.description)
        }
    }
}
