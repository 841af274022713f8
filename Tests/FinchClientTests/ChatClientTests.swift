import FinchClient
import Foundation
import Testing

@Suite("Chat through the client against a live Finch with the tiny llama")
struct ChatClientTests {
    static let question = [ChatTurn(role: "user", content: "Hello there, how are you?")]

    @Test("a streamed answer arrives in pieces that join to the answer without streaming")
    func streaming() async throws {
        try await LiveFinch.run { client, _ in
            let request = ChatRequest(model: "tiny-llama", messages: Self.question, temperature: 0, maxTokens: 16)
            let whole = try await client.chat(request)
            var pieces: [String] = []
            for try await piece in client.streamChat(request) { pieces.append(piece) }
            #expect(!whole.isEmpty && pieces.count > 1)
            #expect(pieces.joined() == whole)
        }
    }

    @Test("a conversation keeps the system message, each question and each answer")
    func conversation() async throws {
        try await LiveFinch.run { client, _ in
            var chat = ChatConversation(model: "tiny-llama", system: "Be brief.", temperature: 0, maxTokens: 8)
            var streamed = ""
            let first = try await chat.ask("Hi!", client: client) { streamed += $0 }
            #expect(first == streamed)
            _ = try await chat.ask("And then?", client: client) { _ in }
            #expect(chat.messages.map(\.role) == ["system", "user", "assistant", "user", "assistant"])
            #expect(chat.messages[1].content == "Hi!" && chat.messages[2].content == first)
            chat.reset()
            #expect(chat.messages == [ChatTurn(role: "system", content: "Be brief.")])
        }
    }

    @Test("an unknown model ends the stream with the server's message and leaves the conversation as it was")
    func unknownModel() async throws {
        try await LiveFinch.run { client, _ in
            var chat = ChatConversation(model: "nope")
            let error = await #expect(throws: ClientError.self) { try await chat.ask("Hi", client: client) { _ in } }
            #expect(error?.status == 404)
            #expect(error?.apiError?.message == "The model `nope` does not exist or you do not have access to it.")
            #expect(chat.messages.isEmpty)
        }
    }
}
