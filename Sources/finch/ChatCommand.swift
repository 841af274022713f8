import ArgumentParser
import FinchClient
import Foundation

/// `finch chat MODEL`: talk to a model, the answer streamed token by token.
struct ChatCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chat",
        abstract: "Chat with a model on a Finch (or OpenAI-compatible) server.",
        discussion: """
            finch chat ft:SmolLM2-135M-Instruct:org-local:marv:abcd1234            (one question per line; /reset, /exit)
            finch chat SmolLM2-135M-Instruct -m "What is the capital of France?"   (one question, one answer)
            The conversation is kept: each question is sent with the ones before and their answers.
            """
    )

    @OptionGroup var options: ClientOptions
    @Argument(help: "The model: a base model or a fine-tuned one (ft:…).") var model: String
    @Option(name: [.customShort("m"), .long], help: "Ask this one question, print the answer and exit.") var message: String?
    @Option(help: "A system message to start the conversation with.") var system: String?
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Double?
    @Option(help: "Longest answer, in tokens.") var maxTokens: Int?

    func run() async throws {
        let client = try options.client()
        var conversation = ChatConversation(model: model, system: system, temperature: temperature, maxTokens: maxTokens)
        if let message {
            try await ask(message, in: &conversation, client: client)
            return
        }
        let interactive = Terminal.standardInputIsInteractive
        if interactive { Terminal.write("Chatting with \(model). /reset starts over, /exit or Ctrl-D ends.\n") }
        while true {
            if interactive { Terminal.write("> ") }
            guard let line = readLine() else { break }
            let question = line.trimmingCharacters(in: .whitespaces)
            if question.isEmpty { continue }
            if question == "/exit" || question == "/quit" { break }
            if question == "/reset" {
                conversation.reset()
                continue
            }
            do {
                try await ask(question, in: &conversation, client: client)
            } catch is ExitCode where interactive {
                continue  // the error is printed; the conversation goes on
            }
        }
    }

    /// Streams the answer to stdout as it comes; a failure prints the server's message.
    private func ask(_ question: String, in conversation: inout ChatConversation, client: FinchClient) async throws {
        try await reportingErrors {
            do {
                _ = try await conversation.ask(question, client: client) { Terminal.write($0) }
                Terminal.write("\n")
            } catch {
                Terminal.write("\n")
                throw error
            }
        }
    }
}
