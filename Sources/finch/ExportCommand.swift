import ArgumentParser
import FinchInference
import FinchModels
import FinchServer
import Foundation

/// `finch export`: write a base, fine-tuned or checkpoint model as a PEFT adapter, a merged HF
/// directory or a llama.cpp GGUF file.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a model as a PEFT adapter, merged safetensors (HF directory) or GGUF.",
        discussion: """
            finch export ft:SmolLM2-135M-Instruct:org:marv:abcd1234 --format gguf --output marv.gguf
            finch export SmolLM2-135M-Instruct --format safetensors --dtype bf16 --output smollm2-hf
            finch export ./jobs/ftjob-…/model --base SmolLM2-135M-Instruct --format safetensors --output merged
            MODEL is a base model name (or alias) under DATA/models, a fine-tuned model (ft:…) or checkpoint \
            (…:ckpt-step-N) in the server's data directory, or a directory (a model, or a PEFT adapter with --base).
            dtype: peft f32 (as trained); safetensors f32 (default), f16, bf16; gguf f16 (default), f32, q8_0.
            """
    )

    @Argument(help: "Model name or directory.")
    var model: String

    @Option(help: "peft, safetensors or gguf.")
    var format: String

    @Option(help: "Output path: a directory (peft, safetensors) or a .gguf file. Must not exist.")
    var output: String

    @Option(help: "Element type: f32, f16, bf16 (safetensors) or q8_0 (gguf).")
    var dtype: String?

    @Option(help: "The base model of an adapter directory (a name under DATA/models or a directory).")
    var base: String?

    @Option(help: "Data directory.")
    var data = "./finch-data"

    func run() async throws {
        guard let format = ExportFormat(rawValue: format) else {
            throw ValidationError("--format must be one of: peft, safetensors, gguf")
        }
        let dtype = try dtype.map { text in
            guard let d = ExportDType(rawValue: text) else { throw ValidationError("--dtype must be one of: f32, f16, bf16, q8_0") }
            return d
        }
        let job = try await ExportTarget.resolve(model, base: base, data: data)
        let start = Date()
        do {
            try job.run(format: format, dtype: dtype, to: URL(fileURLWithPath: output))
        } catch let e as ExportError {
            throw ValidationError(e.description)
        }
        let used = try ModelExporter.resolveDType(dtype, for: format)
        print("exported \(job.name) as \(format.rawValue) (\(used.rawValue)) -> \(output) in "
              + String(format: "%.1f", Date().timeIntervalSince(start)) + " s")
    }
}

/// How `finch export` and `finch logits` find a model: a directory as given (a model, or a PEFT adapter
/// with `--base`); otherwise a base model name, then the fine-tuned models in the data directory.
enum ExportTarget {
    static func resolve(_ model: String, base: String?, data: String) async throws -> ModelExportJob {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue {
            let dir = URL(fileURLWithPath: model)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("adapter_config.json").path) else {
                return ModelExportJob(baseDirectory: dir, name: dir.lastPathComponent)
            }
            guard let base else { throw ValidationError("\(model) is a PEFT adapter: name its base model with --base") }
            return ModelExportJob(baseDirectory: try ModelStore.resolve(base, data: data), fineTunedDirectory: dir,
                                  name: dir.lastPathComponent)
        }
        if let directory = BaseModelCatalog(dataDirectory: data).baseModel(named: model) {
            return ModelExportJob(baseDirectory: URL(fileURLWithPath: directory), name: model)
        }
        guard FileManager.default.fileExists(atPath: data + "/finch.sqlite") else {
            throw ValidationError("no model '\(model)' in \(data)/models and no server data (finch.sqlite) in \(data)")
        }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        let services = try FinchServices.open(configuration)
        guard let job = try await ExportableModels.resolve(model, tenant: nil, services: services) else {
            throw ValidationError("no base, fine-tuned or checkpoint model named '\(model)' in \(data)")
        }
        return job
    }
}
