import ArgumentParser
import FinchModels
import Foundation

/// `finch models`: the base models under DATA/models (one HF directory each).
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Import and list base models (HF directories under DATA/models).",
        subcommands: [ModelsImportCommand.self, ModelsListCommand.self]
    )
}

/// DATA/models, and how a `--model NAME|DIR` argument resolves.
enum ModelStore {
    static func root(data: String) -> URL {
        URL(fileURLWithPath: data).appendingPathComponent("models")
    }

    /// A directory path is used as is; anything else is a name under DATA/models.
    static func resolve(_ model: String, data: String) throws -> URL {
        var isDir: ObjCBool = false
        if model.contains("/") || model.hasPrefix("."),
           FileManager.default.fileExists(atPath: model, isDirectory: &isDir), isDir.boolValue {
            return URL(fileURLWithPath: model)
        }
        let dir = root(data: data).appendingPathComponent(model)
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("config.json").path) else {
            throw ValidationError("no model '\(model)' in \(root(data: data).path) (see `finch models list`)")
        }
        return dir
    }

    static func validName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && name.count <= 200
            && name.allSatisfy { $0.isLetter || $0.isNumber || "-_.:".contains($0) }
    }
}

struct ModelsImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a GGUF file (dequantized to an HF directory) or an HF model directory.",
        discussion: """
            finch models import SmolLM2-135M-Instruct.Q4_1.gguf --name SmolLM2-135M-Instruct
            finch models import ./my-hf-model [--name NAME]
            GGUF: F32, F16, BF16, Q8_0, Q4_0 and Q4_1 tensors; llama, qwen2 and qwen3 architectures.
            """
    )

    @Argument(help: "A .gguf file or an HF model directory (config.json, *.safetensors, tokenizer.json).")
    var source: String

    @Option(help: "Model name under DATA/models (default: the file or directory name).")
    var name: String?

    @Option(help: "Data directory.")
    var data = "./finch-data"

    func run() throws {
        let src = URL(fileURLWithPath: source)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: src.path, isDirectory: &isDir) else {
            throw ValidationError("\(source) does not exist")
        }
        let modelName = name ?? (isDir.boolValue ? src.lastPathComponent : src.deletingPathExtension().lastPathComponent)
        guard ModelStore.validName(modelName) else {
            throw ValidationError("invalid model name '\(modelName)' (letters, digits, - _ . : only)")
        }
        let root = ModelStore.root(data: data)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let dest = root.appendingPathComponent(modelName)
        let start = Date()
        do {
            if isDir.boolValue {
                try ModelImporter.importDirectory(src, to: dest)
            } else {
                try ModelImporter.importGGUF(src, to: dest)
            }
        } catch let e as ModelError {
            throw ValidationError(e.description)
        }
        print("imported \(modelName) -> \(dest.path) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}

struct ModelsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the models under DATA/models.")

    @Option(help: "Data directory.")
    var data = "./finch-data"

    func run() throws {
        let root = ModelStore.root(data: data)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? [])
            .filter { !$0.hasPrefix(".") }.sorted()
        if names.isEmpty {
            print("no models in \(root.path)")
            return
        }
        for name in names {
            let dir = root.appendingPathComponent(name)
            if let c = try? ModelConfig.load(directory: dir) {
                print("\(name)\t\(c.modelType)\tlayers=\(c.numLayers) hidden=\(c.hiddenSize) vocab=\(c.vocabSize)")
            } else {
                print("\(name)\t(unreadable config.json)")
            }
        }
    }
}
