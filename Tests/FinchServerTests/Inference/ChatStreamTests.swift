import FinchAPI
import FinchInference
import FinchServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The SSE encoder fed scripted generations (no model): tool calls, errors mid-stream, n choices.
@Suite("Chat completion streams from scripted generations")
struct ChatStreamTests {
    typealias Update = (Int, GenerationUpdate)

    func run(_ stream: ChatStream, _ updates: [Update], failing: (any Error)? = nil) async throws -> TestResponse {
        let router = Router()
        router.post("stream") { _, _ in
            let (events, continuation) = AsyncThrowingStream<Update, any Error>.makeStream()
            for update in updates { continuation.yield(update) }
            continuation.finish(throwing: failing)
            return stream.response(events)
        }
        return try await Application(router: router).test(.router) { client in
            try await client.execute(uri: "/stream", method: .post)
        }
    }

    func summary(_ text: String, tokens: Int = 3) -> GenerationSummary {
        GenerationSummary(finishReason: .stop, promptTokens: 10, completionTokens: tokens, text: text, tokenIds: [])
    }

    let identity = CompletionIdentity(id: "chatcmpl-test", created: 1, model: "m")

    @Test("a tool call is held back from content and sent as tool_calls deltas with finish_reason tool_calls")
    func toolCalls() async throws {
        let pieces = ["Let me look. ", "<tool", "_call>\n{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"]
        let updates: [Update] = pieces.map { (0, .delta(text: $0, logprobs: [])) } + [(0, .finished(summary(pieces.joined()), logprobs: []))]
        let stream = ChatStream(identity: identity, choices: 1, parseTools: true, includeUsage: true, logprobs: false, promptTokens: 10)
        let (events, done, framed) = try ssePayloads(try await run(stream, updates))
        #expect(done && framed)
        let deltas = events.flatMap(\.choices).compactMap { $0["delta"] as? [String: Any] }
        #expect(deltas.compactMap { $0["content"] as? String }.joined() == "Let me look. ")
        let calls = deltas.compactMap { $0["tool_calls"] as? [[String: Any]] }.flatMap { $0 }
        #expect(calls.count == 1)
        #expect(calls.first?["index"] as? Int == 0 && calls.first?["type"] as? String == "function")
        #expect((calls.first?["id"] as? String)?.hasPrefix("call_") == true)
        let function = calls.first?["function"] as? [String: Any]
        #expect(function?["name"] as? String == "get_weather")
        #expect(function?["arguments"] as? String == #"{"city": "Paris"}"#)
        #expect(events.flatMap(\.choices).compactMap { $0["finish_reason"] as? String } == ["tool_calls"])
        #expect(events.last?.usage?["completion_tokens"] as? Int == 3)
    }

    @Test("a reply that only looks like it might become a call is released at the end as content")
    func heldButNotACall() async throws {
        let updates: [Update] = [(0, .delta(text: "{not", logprobs: [])), (0, .delta(text: " json}", logprobs: [])),
                                 (0, .finished(summary("{not json}"), logprobs: []))]
        let stream = ChatStream(identity: identity, choices: 1, parseTools: true, includeUsage: false, logprobs: false, promptTokens: 10)
        let events = try ssePayloads(try await run(stream, updates)).events
        let text = events.flatMap(\.choices).compactMap { ($0["delta"] as? [String: Any])?["content"] as? String }.joined()
        #expect(text == "{not json}")
        #expect(events.flatMap(\.choices).compactMap { $0["finish_reason"] as? String } == ["stop"])
    }

    @Test("a failure after the first chunk is sent as data: {\"error\": …} and the stream ends without [DONE]")
    func errorMidStream() async throws {
        let stream = ChatStream(identity: identity, choices: 2, parseTools: false, includeUsage: false, logprobs: false, promptTokens: 10)
        let response = try await run(stream, [(1, .delta(text: "Hi", logprobs: []))], failing: CancellationError())
        let (events, done, _) = try ssePayloads(response)
        #expect(!done)
        #expect(events.prefix(2).map { $0.choices.first?["index"] as? Int } == [0, 1])
        let error = events.last?.error
        #expect(error?["type"] as? String == "server_error")
        #expect(error?.keys.sorted() == ["code", "message", "param", "type"])
    }

    @Test("the tool-call filter releases text up to a possible opening tag")
    func filter() {
        var filter = ToolCallStreamFilter()
        #expect(filter.push("Sure") == "Sure")
        #expect(filter.push(" <tool") == " ")
        #expect(filter.push("box> ok") == "<toolbox> ok")
        #expect(filter.finish().rest == "")
        var json = ToolCallStreamFilter()
        #expect(json.push("  {\"name\": \"f\"") == "")
        #expect(json.push(", \"arguments\": {}}") == "")
        #expect(json.finish().calls == [ParsedToolCall(name: "f", arguments: "{}")])
    }
}
