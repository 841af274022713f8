import FinchTensor
import FinchTokenizer
import Foundation

/// Puts models into Finch's model store as ordinary HF directories (DESIGN §5: DATA/models/NAME).
/// Every import is written to a hidden temp directory beside the destination and renamed into
/// place, so no reader ever sees a half-written model.
public enum ModelImporter {
    /// Files of an HF model directory that Finch keeps.
    static let keptFiles: Set<String> = [
        "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "chat_template.jinja", "chat_template.json", "model.safetensors.index.json",
    ]

    /// Imports a GGUF file: dequantized fp32 weights under HF names, config.json from the metadata,
    /// tokenizer.json + tokenizer_config.json (with the chat template) from the tokenizer metadata.
    public static func importGGUF(_ file: URL, to destination: URL) throws {
        let importer = try GGUFImporter(url: file)
        let config = try importer.config()
        let tokenizer: GGUFTokenizerImport
        do {
            tokenizer = try GGUFTokenizerImport(importer.file)
        } catch {
            throw ModelError.tokenizer("\(error)")
        }
        let weights = try importer.weights(config: config)
        // Building the model validates names and shapes before anything is written.
        _ = try ModelRegistry.build(config: config, weights: Weights(weights))
        try writeAtomically(destination) { tmp in
            try writeJSON(config.jsonObject(), to: tmp.appendingPathComponent("config.json"))
            try write(tokenizer.tokenizerJSON.jsonString(indent: 2), to: tmp.appendingPathComponent("tokenizer.json"))
            try write(tokenizer.tokenizerConfig.jsonString(indent: 2), to: tmp.appendingPathComponent("tokenizer_config.json"))
            var gen: [String: Any] = ["do_sample": false]
            if let b = config.bosTokenId { gen["bos_token_id"] = b }
            if let e = config.eosTokenIds.first { gen["eos_token_id"] = e }
            try writeJSON(gen, to: tmp.appendingPathComponent("generation_config.json"))
            try SafeTensors.write(weights, metadata: ["format": "pt", "source": "gguf:\(file.lastPathComponent)"],
                                  to: tmp.appendingPathComponent("model.safetensors"))
        }
    }

    /// Imports an HF model directory: validates config.json and the weights' presence, then hard-links
    /// (or copies, across file systems) its config, tokenizer and safetensors files.
    public static func importDirectory(_ source: URL, to destination: URL) throws {
        let config = try ModelConfig.load(directory: source)
        guard ModelRegistry.supportedTypes.contains(config.modelType) else {
            throw ModelError.unsupportedArchitecture(config.modelType)
        }
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: source.path)) ?? []
        let files = names.filter { keptFiles.contains($0) || $0.hasSuffix(".safetensors") }
        guard files.contains(where: { $0.hasSuffix(".safetensors") }) else {
            throw ModelError.fileNotFound(source.appendingPathComponent("model.safetensors").path)
        }
        guard files.contains("tokenizer.json") else {
            throw ModelError.fileNotFound(source.appendingPathComponent("tokenizer.json").path)
        }
        try writeAtomically(destination) { tmp in
            for f in files {
                let src = source.appendingPathComponent(f), dst = tmp.appendingPathComponent(f)
                do {
                    try fm.linkItem(at: src, to: dst)
                } catch {
                    do { try fm.copyItem(at: src, to: dst) } catch {
                        throw ModelError.io(path: src.path, reason: "\(error)")
                    }
                }
            }
        }
    }

    /// Runs `body` on a fresh temp directory beside `destination`, then renames it into place.
    static func writeAtomically(_ destination: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: destination.path) {
            throw ModelError.io(path: destination.path, reason: "already exists")
        }
        let parent = destination.deletingLastPathComponent()
        let tmp = parent.appendingPathComponent(".\(destination.lastPathComponent).tmp-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
        } catch {
            throw ModelError.io(path: tmp.path, reason: "\(error)")
        }
        do {
            try body(tmp)
            try fm.moveItem(at: tmp, to: destination)
        } catch {
            try? fm.removeItem(at: tmp)
            if let e = error as? ModelError { throw e }
            throw ModelError.io(path: destination.path, reason: "\(error)")
        }
    }

    static func writeJSON(_ obj: Any, to url: URL) throws {
        let data = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
        try write(data, to: url)
    }

    static func write(_ s: String, to url: URL) throws { try write(Data(s.utf8), to: url) }

    static func write(_ data: Data, to url: URL) throws {
        do { try data.write(to: url, options: .atomic) } catch { throw ModelError.io(path: url.path, reason: "\(error)") }
    }
}
