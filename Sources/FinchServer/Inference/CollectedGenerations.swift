import FinchAPI
import FinchInference

/// Non-streaming responses: every generation run to its end, with its text, log probabilities and summary,
/// in request order. A generation error becomes the API's inference error for `model`.
struct CollectedGenerations {
    var texts: [String]
    var logprobs: [[TokenLogprob]]
    var summaries: [GenerationSummary]

    /// `prefixes` start the texts (the prompts, for `echo`); empty otherwise.
    static func collect(_ streams: [AsyncThrowingStream<GenerationUpdate, any Error>], prefixes: [String] = [],
                        model: String) async throws -> CollectedGenerations {
        var texts = prefixes.isEmpty ? Array(repeating: "", count: streams.count) : prefixes
        var logprobs = Array(repeating: [TokenLogprob](), count: streams.count)
        var summaries = [GenerationSummary?](repeating: nil, count: streams.count)
        do {
            for try await (i, update) in mergedUpdates(streams) {
                switch update {
                case .delta(let text, let entries):
                    texts[i] += text
                    logprobs[i] += entries
                case .finished(let summary, let entries):
                    summaries[i] = summary
                    logprobs[i] += entries
                }
            }
        } catch {
            throw APIError.inference(error, model: model)
        }
        guard summaries.allSatisfy({ $0 != nil }) else { throw APIError.internalError }
        return CollectedGenerations(texts: texts, logprobs: logprobs, summaries: summaries.compactMap { $0 })
    }
}
