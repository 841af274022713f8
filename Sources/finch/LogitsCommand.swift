import ArgumentParser
import FinchInference
import FinchModels
import Foundation

/// `finch logits` (hidden): a model's logits for one prompt and its greedy continuation, as JSON, computed
/// the way the server runs the model (base + adapter on the model host). scripts/verify_export.py compares
/// them with PyTorch/peft/transformers and llama.cpp running the exported files.
struct LogitsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logits", abstract: "Dump a model's logits and greedy tokens for a prompt (export checks).",
        shouldDisplay: false)

    @Argument(help: "Model name or directory (as for finch export).")
    var model: String

    @Option(help: "The prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt as one user message with the model's chat template.")
    var chat = false

    @Option(name: .customLong("max-tokens"), help: "Greedy tokens to generate.")
    var maxTokens = 32

    @Option(help: "Output JSON file.")
    var output: String

    @Option(help: "The base model of an adapter directory.")
    var base: String?

    @Option(help: "Data directory.")
    var data = "./finch-data"

    func run() async throws {
        let job = try await ExportTarget.resolve(model, base: base, data: data)
        let baseName = job.baseDirectory.lastPathComponent
        let host = ModelHost(configuration: .init(modelsDirectory: job.baseDirectory.deletingLastPathComponent()))
        var served = baseName
        if let tuned = job.fineTunedDirectory {
            served = "finch-logits-check"
            try await host.registerAdapter(name: served, base: baseName, directory: tuned)
        }
        let loaded = try await host.model(named: served).model
        let ids: [Int]
        if chat {
            let text = try ChatPrompt.render(model: loaded, messages: [ChatPrompt.Message(role: "user", content: prompt)])
            ids = loaded.tokenizer.encode(text, addSpecialTokens: false)
        } else {
            ids = loaded.tokenizer.encode(prompt)
        }
        let logits = try loaded.network.forward(tokens: ids.map(Int32.init), B: 1, T: ids.count, cache: nil, lastOnly: false)
        let V = loaded.config.vocabSize
        let rows = (0..<ids.count).map { t in (0..<V).map { Double(logits[flat: t * V + $0]) } }
        let greedy = try TextGenerator(model: loaded).generate(
            promptIds: ids, options: GenerationOptions(maxTokens: maxTokens, sampling: SamplingParameters(temperature: 0)))
        let json: [String: Any] = ["prompt_ids": ids, "logits": rows, "greedy_ids": greedy.tokenIds, "text": greedy.text]
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: output))
    }
}
