import FinchAPI
import FinchInference

/// The decoding parameters both endpoints share, checked, and turned into one engine request per choice.
struct DecodingOptions: Sendable {
    var maxTokens: Int?
    var temperature = 1.0
    var topP = 1.0
    var seed: Int64?
    var stop: [String] = []
    var presencePenalty = 0.0
    var frequencyPenalty = 0.0
    /// nil: no logprobs; k: the chosen token plus the k most likely.
    var topLogprobs: Int?
    var n = 1

    init(maxTokens: Int?, maxTokensParam: String, temperature: Double?, topP: Double?, n: Int?, seed: Int64?,
         stop: StopSequences?, presencePenalty: Double?, frequencyPenalty: Double?) throws(APIError) {
        try Check.integer(maxTokens, maxTokensParam, min: 1)
        try Check.number(temperature, "temperature", 0...2)
        try Check.number(topP, "top_p", 0...1)
        try Check.integer(n, "n", min: 1, max: 128)
        try Check.number(presencePenalty, "presence_penalty", -2...2)
        try Check.number(frequencyPenalty, "frequency_penalty", -2...2)
        let stops = stop?.values ?? []
        if stops.count > 4 {
            throw .invalidRequest("Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length \(stops.count) instead.",
                                  param: "stop", code: "array_above_max_length")
        }
        self.maxTokens = maxTokens
        self.temperature = temperature ?? 1
        self.topP = topP ?? 1
        self.n = n ?? 1
        self.seed = seed
        self.stop = stops.filter { !$0.isEmpty }
        self.presencePenalty = presencePenalty ?? 0
        self.frequencyPenalty = frequencyPenalty ?? 0
    }

    /// Sampling for choice `index`: greedy at temperature 0 (or top_p 0); with a seed, choice i uses seed + i,
    /// so choice 0 reproduces an n = 1 request with the same seed.
    func sampling(choice index: Int) -> SamplingParameters {
        if temperature == 0 || topP == 0 { return .greedy }
        let seeded = seed.map { UInt64(bitPattern: $0) &+ UInt64(index) }
        return SamplingParameters(temperature: temperature, topP: topP, seed: seeded)
    }

    /// One engine request per choice; refuses prompts that leave no room in the context window.
    func requests(promptIds: [Int], contextLength: Int, promptParam: String) throws(APIError) -> [GenerationRequest] {
        guard !promptIds.isEmpty else {
            throw .invalidRequest("The prompt is empty: there is nothing to complete.", param: promptParam, code: "invalid_value")
        }
        let room = contextLength - promptIds.count
        if let maxTokens, maxTokens > room {
            throw .contextLengthExceeded(limit: contextLength, prompt: promptIds.count, completion: maxTokens, promptParam: promptParam)
        }
        if room < 1 {
            throw .contextLengthExceeded(limit: contextLength, prompt: promptIds.count, completion: 1, promptParam: promptParam)
        }
        return (0..<n).map { i in
            GenerationRequest(promptIds: promptIds, maxTokens: maxTokens ?? room, sampling: sampling(choice: i), stop: stop,
                              presencePenalty: presencePenalty, frequencyPenalty: frequencyPenalty, topLogprobs: topLogprobs)
        }
    }
}

/// Several generations merged into one ordered stream of `(choice index, update)`. Ending the iteration
/// (a client gone) cancels every generation at its next token.
func mergedUpdates(_ streams: [AsyncThrowingStream<GenerationUpdate, any Error>])
    -> AsyncThrowingStream<(Int, GenerationUpdate), any Error>
{
    let (merged, continuation) = AsyncThrowingStream<(Int, GenerationUpdate), any Error>.makeStream()
    let producer = Task {
        await withTaskGroup(of: Void.self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    do {
                        for try await update in stream { continuation.yield((index, update)) }
                    } catch {
                        continuation.finish(throwing: error)
                    }
                }
            }
        }
        continuation.finish()
    }
    continuation.onTermination = { _ in producer.cancel() }
    return merged
}
