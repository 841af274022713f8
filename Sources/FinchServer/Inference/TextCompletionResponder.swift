import FinchAPI
import FinchInference
import Foundation
import Hummingbird
import Logging

/// Answers one legacy `POST /completions`: every prompt of `prompt` gets `n` choices (choice index
/// `prompt_index * n + i`), as a `text_completion` or streamed `text_completion` chunks.
struct TextCompletionResponder {
    let host: ModelHost
    let hosted: HostedModel
    let now: Int64
    /// The request's logger (its metadata carries the request id).
    let logger: Logger

    struct Prompt {
        let ids: [Int]
        let text: String
    }

    func respond(_ body: CompletionRequest) async throws -> Response {
        if let suffix = body.suffix, !suffix.isEmpty {
            throw APIError.unsupported("suffix", "Invalid 'suffix': suffix (insertion) is not supported by this model; send the text before the insertion point as 'prompt' only.")
        }
        var options = try DecodingOptions(
            maxTokens: body.maxTokens ?? 16, maxTokensParam: "max_tokens", temperature: body.temperature, topP: body.topP,
            n: body.n, seed: body.seed, stop: body.stop, presencePenalty: body.presencePenalty,
            frequencyPenalty: body.frequencyPenalty)
        if let bestOf = body.bestOf, bestOf != options.n {
            throw APIError.unsupported("best_of", "Invalid 'best_of': only best_of equal to n (the default) is supported.")
        }
        try Check.integer(body.logprobs, "logprobs", min: 0, max: 5)
        if body.logprobs != nil && body.echo == true {
            throw APIError.unsupported("logprobs", "Invalid 'logprobs': logprobs together with echo (prompt token logprobs) is not supported.")
        }
        options.topLogprobs = body.logprobs
        let prompts = try makePrompts(body.prompt)

        var requests: [GenerationRequest] = []
        for prompt in prompts {
            requests += try options.requests(promptIds: prompt.ids, contextLength: hosted.contextLength, promptParam: "prompt")
        }
        let identity = CompletionIdentity(id: ObjectID.make(ObjectID.completion), created: now, model: hosted.name)
        let streams = host.generations(hosted, requests, logger: logger)
        let echoes = body.echo == true ? prompts.flatMap { p in Array(repeating: p.text, count: options.n) } : []
        let promptTokens = prompts.reduce(0) { $0 + $1.ids.count }
        let stream = TextCompletionStream(identity: identity, echoes: echoes, logprobs: body.logprobs != nil,
                                          includeUsage: body.streamOptions?.includeUsage == true, promptTokens: promptTokens)
        if body.stream == true { return stream.response(mergedUpdates(streams), choices: requests.count) }

        let collected = try await CollectedGenerations.collect(streams, prefixes: echoes, model: hosted.name)
        let texts = collected.texts, entries = collected.logprobs
        var choices: [TextCompletion.Choice] = []
        var completionTokens = 0
        for (i, summary) in collected.summaries.enumerated() {
            completionTokens += summary.completionTokens
            let lp = body.logprobs != nil ? stream.legacyLogprobs(entries[i], startOffset: echoes.isEmpty ? 0 : echoes[i].count) : nil
            choices.append(.init(text: texts[i], index: i, logprobs: lp, finishReason: summary.finishReason.rawValue))
        }
        return try JSONResponse.make(TextCompletion(
            id: identity.id, created: identity.created, model: identity.model, systemFingerprint: CompletionIdentity.fingerprint,
            choices: choices, usage: CompletionUsage(promptTokens: promptTokens, completionTokens: completionTokens)))
    }

    /// Text prompts are tokenized with the tokenizer's special tokens (e.g. BOS); token prompts are checked.
    private func makePrompts(_ prompt: CompletionPrompt) throws(APIError) -> [Prompt] {
        let tokenizer = hosted.model.tokenizer
        let vocabulary = hosted.model.config.vocabSize
        switch prompt {
        case .texts(let texts):
            guard !texts.isEmpty else {
                throw .invalidRequest("Invalid 'prompt': empty array. Expected an array with minimum length 1.", param: "prompt",
                                      code: "empty_array")
            }
            return texts.map { Prompt(ids: tokenizer.encode($0), text: $0) }
        case .tokens(let lists):
            guard !lists.isEmpty else {
                throw .invalidRequest("Invalid 'prompt': empty array. Expected an array with minimum length 1.", param: "prompt",
                                      code: "empty_array")
            }
            for ids in lists {
                if let bad = ids.first(where: { $0 < 0 || $0 >= vocabulary }) {
                    throw .invalidRequest("Invalid token id \(bad) in 'prompt': the vocabulary has \(vocabulary) tokens.",
                                          param: "prompt", code: "invalid_value")
                }
            }
            return lists.map { Prompt(ids: $0, text: tokenizer.decode($0)) }
        }
    }
}

/// Streamed `text_completion` chunks (`finish_reason: null` until each choice's last chunk), then a
/// `choices: []` usage chunk with `include_usage`, then `[DONE]`.
struct TextCompletionStream: Sendable {
    let identity: CompletionIdentity
    let echoes: [String]
    let logprobs: Bool
    let includeUsage: Bool
    let promptTokens: Int

    func legacyLogprobs(_ entries: [TokenLogprob], startOffset: Int) -> CompletionLogprobs {
        var result = CompletionLogprobs()
        var offset = startOffset
        for entry in entries {
            result.tokens.append(entry.token)
            result.tokenLogprobs.append(finiteLogprob(entry.logprob))
            var top: [String: Double] = [:]
            for alternative in entry.top where top[alternative.token] == nil {
                top[alternative.token] = finiteLogprob(alternative.logprob)
            }
            result.topLogprobs.append(top)
            result.textOffset.append(offset)
            offset += entry.token.count
        }
        return result
    }

    private func chunk(_ choices: [TextCompletion.Choice], usage: CompletionUsage? = nil) -> TextCompletion {
        TextCompletion(id: identity.id, created: identity.created, model: identity.model,
                       systemFingerprint: CompletionIdentity.fingerprint, choices: choices, usage: usage)
    }

    func response(_ updates: AsyncThrowingStream<(Int, GenerationUpdate), any Error>, choices: Int) -> Response {
        ServerSentEvents.response { writer in
            var offsets = echoes.isEmpty ? Array(repeating: 0, count: choices) : echoes.map(\.count)
            for (i, echo) in echoes.enumerated() where !echo.isEmpty {
                try await writer.write(ServerSentEvents.event(chunk([.init(text: echo, index: i, logprobs: nil, finishReason: nil)])))
            }
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
                    let lp = logprobs ? legacyLogprobs(entries, startOffset: offsets[i]) : nil
                    offsets[i] += entries.reduce(0) { $0 + $1.token.count }
                    try await writer.write(ServerSentEvents.event(chunk([.init(text: text, index: i, logprobs: lp, finishReason: nil)])))
                case .finished(let summary, let entries):
                    completionTokens += summary.completionTokens
                    let lp = logprobs && !entries.isEmpty ? legacyLogprobs(entries, startOffset: offsets[i]) : nil
                    try await writer.write(ServerSentEvents.event(chunk([
                        .init(text: "", index: i, logprobs: lp, finishReason: summary.finishReason.rawValue),
                    ])))
                }
            }
            if includeUsage {
                try await writer.write(ServerSentEvents.event(chunk([], usage: CompletionUsage(
                    promptTokens: promptTokens, completionTokens: completionTokens))))
            }
            try await writer.write(ServerSentEvents.done)
        }
    }
}
