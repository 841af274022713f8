import ArgumentParser
import FinchInference
import FinchModels
import Foundation

/// `finch generate`: run a model on one prompt and stream the text to stdout.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with a local model.",
        discussion: """
            finch generate --model SmolLM2-135M-Instruct --chat --prompt "What is the capital of France?"
            Without --temperature, decoding is greedy. Timing goes to stderr.
            """
    )

    @Option(help: "A model name under DATA/models, or a model directory.")
    var model: String

    @Option(help: "The prompt text.")
    var prompt: String

    @Flag(help: "Wrap the prompt as one user message with the model's chat template.")
    var chat = false

    @Option(name: .customLong("max-tokens"), help: "Maximum new tokens.")
    var maxTokens = 128

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature = 0.0

    @Option(name: .customLong("top-p"), help: "Nucleus sampling mass.")
    var topP = 1.0

    @Option(help: "Random seed for sampling.")
    var seed: UInt64?

    @Option(help: "Stop string (repeatable).")
    var stop: [String] = []

    @Option(help: "Data directory.")
    var data = "./finch-data"

    @Flag(name: .customLong("ignore-eos"), help: .hidden)
    var ignoreEOS = false

    func run() throws {
        let dir = try ModelStore.resolve(model, data: data)
        let loaded: LoadedModel
        do { loaded = try LoadedModel.load(directory: dir) } catch let e as ModelError { throw ValidationError(e.description) }
        let generator = TextGenerator(model: loaded)
        let ids: [Int]
        if chat {
            let text = try ChatPrompt.render(model: loaded, messages: [ChatPrompt.Message(role: "user", content: prompt)])
            ids = loaded.tokenizer.encode(text, addSpecialTokens: false)
        } else {
            ids = loaded.tokenizer.encode(prompt)
        }
        let options = GenerationOptions(
            maxTokens: maxTokens, sampling: SamplingParameters(temperature: temperature, topP: topP, seed: seed), stop: stop,
            ignoreEOS: ignoreEOS)
        let result = try generator.generate(promptIds: ids, options: options) { chunk in
            FileHandle.standardOutput.write(Data(chunk.text.utf8))
        }
        FileHandle.standardOutput.write(Data("\n".utf8))
        let decodeRate = Double(max(result.tokenIds.count - 1, 0)) / max(result.decodeSeconds, 1e-9)
        let prefillRate = Double(result.promptTokenCount) / max(result.prefillSeconds, 1e-9)
        let stats = "[\(result.promptTokenCount) prompt tokens, \(String(format: "%.1f", prefillRate)) tok/s prefill; "
            + "\(result.tokenIds.count) new tokens, \(String(format: "%.1f", decodeRate)) tok/s decode; "
            + "finish: \(result.finishReason.rawValue)]\n"
        FileHandle.standardError.write(Data(stats.utf8))
    }
}
