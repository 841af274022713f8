import FinchAPI
import FinchInference
import FinchTokenizer
import Foundation
import Hummingbird
import Logging

/// Answers one `POST /chat/completions`: renders the conversation with the model's chat template,
/// generates `n` choices on the model host and replies with a `chat.completion` or, with `stream: true`,
/// `chat.completion.chunk` server-sent events.
struct ChatCompletionResponder {
    let host: ModelHost
    let hosted: HostedModel
    let now: Int64
    /// The request's logger (its metadata carries the request id).
    let logger: Logger

    func respond(_ body: ChatCompletionRequest, raw: TemplateValue) async throws -> Response {
        var options = try DecodingOptions(
            maxTokens: body.maxCompletionTokens ?? body.maxTokens,
            maxTokensParam: body.maxCompletionTokens != nil ? "max_completion_tokens" : "max_tokens",
            temperature: body.temperature, topP: body.topP, n: body.n, seed: body.seed, stop: body.stop,
            presencePenalty: body.presencePenalty, frequencyPenalty: body.frequencyPenalty)
        try Check.integer(body.topLogprobs, "top_logprobs", min: 0, max: 20)
        if body.topLogprobs != nil && body.logprobs != true {
            throw APIError.invalidRequest("Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is used.",
                                          param: "top_logprobs", code: "invalid_value")
        }
        options.topLogprobs = body.logprobs == true ? (body.topLogprobs ?? 0) : nil
        let conversation = try ChatMessages(request: body, raw: raw)

        let promptIds: [Int]
        do {
            let text = try ChatPrompt.render(model: hosted.model, messages: conversation.messages, tools: conversation.tools)
            promptIds = hosted.model.tokenizer.encode(text, addSpecialTokens: false)
        } catch {
            throw APIError.inference(error, model: hosted.name)
        }
        let requests = try options.requests(promptIds: promptIds, contextLength: hosted.contextLength, promptParam: "messages")
        let identity = CompletionIdentity(id: ObjectID.make(ObjectID.chatCompletion), created: now, model: hosted.name)
        let streams = host.generations(hosted, requests, logger: logger)
        let parseTools = conversation.tools != nil
        if body.stream == true {
            return ChatStream(identity: identity, choices: requests.count, parseTools: parseTools,
                              includeUsage: body.streamOptions?.includeUsage == true, logprobs: options.topLogprobs != nil,
                              promptTokens: promptIds.count).response(mergedUpdates(streams))
        }
        return try await collect(streams, identity: identity, parseTools: parseTools, logprobs: options.topLogprobs != nil,
                                 promptTokens: promptIds.count)
    }

    private func collect(_ streams: [AsyncThrowingStream<GenerationUpdate, any Error>], identity: CompletionIdentity,
                         parseTools: Bool, logprobs: Bool, promptTokens: Int) async throws -> Response {
        let collected = try await CollectedGenerations.collect(streams, model: hosted.name)
        let texts = collected.texts, tokenLogprobs = collected.logprobs
        var choices: [ChatCompletion.Choice] = []
        var completionTokens = 0
        for (i, summary) in collected.summaries.enumerated() {
            completionTokens += summary.completionTokens
            var message = ChatResponseMessage(content: texts[i])
            var finish = summary.finishReason.rawValue
            if parseTools {
                let parsed = ToolCallParser.parse(texts[i])
                if !parsed.calls.isEmpty {
                    message = ChatResponseMessage(content: parsed.content, toolCalls: parsed.calls.map {
                        ChatToolCall(id: ObjectID.make("call_"), name: $0.name, arguments: $0.arguments)
                    })
                    finish = "tool_calls"
                }
            }
            let lp = logprobs ? ChatChoiceLogprobs(content: tokenLogprobs[i].map(ChatTokenLogprob.init)) : nil
            choices.append(.init(index: i, message: message, logprobs: lp, finishReason: finish))
        }
        let completion = ChatCompletion(
            id: identity.id, created: identity.created, model: identity.model, systemFingerprint: CompletionIdentity.fingerprint,
            choices: choices, usage: CompletionUsage(promptTokens: promptTokens, completionTokens: completionTokens))
        return try JSONResponse.make(completion)
    }
}

/// The SSE form of a chat completion: per choice a role chunk (`content: ""`), content deltas, a final
/// `delta: {}` chunk with `finish_reason`; then, with `include_usage`, a `choices: []` usage chunk
/// (every other chunk has `usage: null`); then `[DONE]`. With tools offered, text that may be a tool
/// call is held back and sent as `tool_calls` deltas when generation ends.
package struct ChatStream: Sendable {
    let identity: CompletionIdentity
    let choices: Int
    let parseTools: Bool
    let includeUsage: Bool
    let logprobs: Bool
    let promptTokens: Int

    package init(identity: CompletionIdentity, choices: Int, parseTools: Bool, includeUsage: Bool, logprobs: Bool,
                 promptTokens: Int) {
        self.identity = identity
        self.choices = choices
        self.parseTools = parseTools
        self.includeUsage = includeUsage
        self.logprobs = logprobs
        self.promptTokens = promptTokens
    }

    func chunk(_ choices: [ChatCompletionChunk.Choice], usage: CompletionUsage? = nil) -> ChatCompletionChunk {
        ChatCompletionChunk(id: identity.id, created: identity.created, model: identity.model,
                            systemFingerprint: CompletionIdentity.fingerprint, choices: choices,
                            usage: includeUsage ? .some(usage) : nil)
    }

    package func response(_ updates: AsyncThrowingStream<(Int, GenerationUpdate), any Error>) -> Response {
        ServerSentEvents.response { writer in
            for i in 0..<choices {
                try await writer.write(ServerSentEvents.event(chunk([.init(index: i, delta: .init(role: "assistant", content: ""))])))
            }
            var filters = Array(repeating: ToolCallStreamFilter(), count: choices)
            var pending = Array(repeating: [TokenLogprob](), count: choices)
            var completionTokens = 0
            var iterator = updates.makeAsyncIterator()
            while true {
                let next: (Int, GenerationUpdate)?
                do {
                    next = try await iterator.next()
                } catch {
                    try await writer.write(ServerSentEvents.error(.inference(error, model: identity.model)))
                    return
                }
                guard let (i, update) = next else { break }
                switch update {
                case .delta(let text, let entries):
                    pending[i] += entries
                    let visible = parseTools ? filters[i].push(text) : text
                    if !visible.isEmpty {
                        try await writer.write(ServerSentEvents.event(chunk([content(i, visible, &pending[i])])))
                    }
                case .finished(let summary, let entries):
                    pending[i] += entries
                    completionTokens += summary.completionTokens
                    var finish = summary.finishReason.rawValue
                    if parseTools {
                        let (rest, calls) = filters[i].finish()
                        if !rest.isEmpty {
                            try await writer.write(ServerSentEvents.event(chunk([content(i, rest, &pending[i])])))
                        }
                        if !calls.isEmpty {
                            finish = "tool_calls"
                            let deltas = calls.enumerated().map { j, call in
                                ChatToolCall(index: j, id: ObjectID.make("call_"), name: call.name, arguments: call.arguments)
                            }
                            try await writer.write(ServerSentEvents.event(chunk([.init(index: i, delta: .init(toolCalls: deltas))])))
                        }
                    }
                    let lp = logprobs && !pending[i].isEmpty ? ChatChoiceLogprobs(content: pending[i].map(ChatTokenLogprob.init)) : nil
                    pending[i] = []
                    try await writer.write(ServerSentEvents.event(chunk([.init(index: i, delta: .init(), logprobs: lp, finishReason: finish)])))
                }
            }
            if includeUsage {
                try await writer.write(ServerSentEvents.event(chunk([], usage: CompletionUsage(promptTokens: promptTokens,
                                                                                                completionTokens: completionTokens))))
            }
            try await writer.write(ServerSentEvents.done)
        }
    }

    private func content(_ i: Int, _ text: String, _ pending: inout [TokenLogprob]) -> ChatCompletionChunk.Choice {
        let lp = logprobs ? ChatChoiceLogprobs(content: pending.map(ChatTokenLogprob.init)) : nil
        pending = []
        return .init(index: i, delta: .init(content: text), logprobs: lp)
    }
}

/// Holds back streamed text that may be a tool call: everything once the reply starts with `{`/`[`,
/// from `<tool_call>` on, and a trailing partial `<tool_call`.
package struct ToolCallStreamFilter: Sendable {
    private var text = ""
    private var emittedBytes = 0

    package init() {}

    package mutating func push(_ piece: String) -> String {
        text += piece
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.hasPrefix("{") || trimmed.hasPrefix("[") { return "" }
        var limit = text.endIndex
        if let open = text.range(of: ToolCallParser.open) {
            limit = open.lowerBound
        } else {
            let tag = ToolCallParser.open
            for n in stride(from: min(tag.count - 1, text.count), to: 0, by: -1) where text.hasSuffix(tag.prefix(n)) {
                limit = text.index(text.endIndex, offsetBy: -n)
                break
            }
        }
        let start = text.utf8.index(text.startIndex, offsetBy: emittedBytes)
        guard start < limit else { return "" }
        emittedBytes = text.utf8.distance(from: text.startIndex, to: limit)
        return String(text[start..<limit])
    }

    /// The text not yet sent (when it held no tool call) and the calls found.
    package mutating func finish() -> (rest: String, calls: [ParsedToolCall]) {
        let parsed = ToolCallParser.parse(text)
        if !parsed.calls.isEmpty { return ("", parsed.calls) }
        let start = text.utf8.index(text.startIndex, offsetBy: emittedBytes)
        emittedBytes = text.utf8.count
        return (String(text[start...]), [])
    }
}
