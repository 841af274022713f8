import FinchModels
import FinchTensor
import FinchTokenizer
import Foundation

/// What one served generation asks for: the prompt and every knob of the OpenAI APIs that acts on
/// decoding.
public struct GenerationRequest: Sendable {
    public var promptIds: [Int]
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops before any of these strings; they are not part of the output.
    public var stop: [String]
    /// OpenAI's penalties: logit[t] -= presence * (count[t] > 0) + frequency * count[t], over the
    /// tokens generated so far.
    public var presencePenalty: Double
    public var frequencyPenalty: Double
    /// nil: no log probabilities. k >= 0: the chosen token's logprob plus the k most likely tokens.
    public var topLogprobs: Int?

    public init(promptIds: [Int], maxTokens: Int, sampling: SamplingParameters = .init(), stop: [String] = [],
                presencePenalty: Double = 0, frequencyPenalty: Double = 0, topLogprobs: Int? = nil) {
        self.promptIds = promptIds
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.presencePenalty = presencePenalty
        self.frequencyPenalty = frequencyPenalty
        self.topLogprobs = topLogprobs
    }
}

/// The log probability of one token (natural log, of the distribution after penalties and before
/// temperature), with its bytes as the tokenizer decodes them.
public struct TokenLogprob: Sendable, Equatable {
    public struct Alternative: Sendable, Equatable {
        public let tokenId: Int
        public let token: String
        public let bytes: [UInt8]
        public let logprob: Double
    }
    public let tokenId: Int
    public let token: String
    public let bytes: [UInt8]
    public let logprob: Double
    /// The most likely tokens at this position, most likely first.
    public let top: [Alternative]
}

/// How a served generation ended.
public struct GenerationSummary: Sendable {
    public let finishReason: FinishReason
    public let promptTokens: Int
    public let completionTokens: Int
    public let text: String
    public let tokenIds: [Int]
    public let prefillSeconds: Double
    public let decodeSeconds: Double

    public init(finishReason: FinishReason, promptTokens: Int, completionTokens: Int, text: String, tokenIds: [Int],
                prefillSeconds: Double = 0, decodeSeconds: Double = 0) {
        self.finishReason = finishReason
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.text = text
        self.tokenIds = tokenIds
        self.prefillSeconds = prefillSeconds
        self.decodeSeconds = decodeSeconds
    }
}

/// One event of a served generation, in order: text deltas, then `finished`.
public enum GenerationUpdate: Sendable {
    /// Released text (never half a UTF-8 character, never part of a stop string) and the logprobs of
    /// the tokens generated since the previous update.
    case delta(text: String, logprobs: [TokenLogprob])
    /// The end; `logprobs` holds the tokens not yet reported.
    case finished(GenerationSummary, logprobs: [TokenLogprob])
}

/// A generation advanced one forward pass at a time by the compute scheduler, so many requests
/// interleave fairly on one compute thread.
final class GenerationSession: @unchecked Sendable {
    private let model: LoadedModel
    private let request: GenerationRequest
    private let emit: @Sendable (GenerationUpdate) -> Void
    let cancellation: CancellationFlag

    private var cache: KVCache?
    private var logits: Tensor?
    private var sampler: Sampler
    private var decoder: StreamingDecoder
    private var matcher: StopSequenceMatcher
    private var counts: [Int: Int] = [:]
    private var tokens: [Int] = []
    private var text = ""
    private var pendingLogprobs: [TokenLogprob] = []
    private var budget = 0
    private var prefillNanos: UInt64 = 0
    private var decodeStart: UInt64 = 0

    init(model: LoadedModel, request: GenerationRequest, cancellation: CancellationFlag,
         emit: @escaping @Sendable (GenerationUpdate) -> Void) {
        self.model = model
        self.request = request
        self.emit = emit
        self.cancellation = cancellation
        sampler = Sampler(request.sampling)
        decoder = model.tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
        matcher = StopSequenceMatcher(request.stop)
    }

    /// Tokens generated so far.
    var completionTokens: Int { tokens.count }

    /// Runs one forward pass (the prompt first, then one token). Returns true when the session is over.
    /// Errors end the session; the caller reports them.
    func step() throws -> Bool {
        guard let logits, let cache else {
            try prefill()
            return logits != nil && budget == 0 ? finish(.length) : false
        }
        var scores = Array(UnsafeBufferPointer(start: logits.ptr, count: logits.count))
        applyPenalties(&scores)
        let id = scores.withUnsafeBufferPointer { sampler.sample($0) }
        if model.eosTokenIds.contains(id) { return finish(.stop) }
        tokens.append(id)
        counts[id, default: 0] += 1
        if let k = request.topLogprobs { pendingLogprobs.append(logprob(of: id, scores: scores, top: k)) }
        switch matcher.push(decoder.push(id)) {
        case .text(let s):
            release(s)
        case .stop(let s):
            release(s)
            return finish(.stop, flushTail: false)
        }
        if tokens.count >= budget { return finish(.length) }
        let current = cache.length < cache.capacity ? cache : grow(cache)
        self.cache = current
        self.logits = try model.network.forward(tokens: [Int32(id)], B: 1, T: 1, cache: current, lastOnly: true)
        return false
    }

    /// Prefills the next chunk of the prompt: a long prompt takes several turns, so other generations
    /// keep streaming meanwhile. The last chunk leaves the logits of the first new token.
    private func prefill() throws {
        let prompt = request.promptIds
        if cache == nil {
            guard !prompt.isEmpty else { throw InferenceError.emptyPrompt }
            let limit = model.config.maxPositionEmbeddings
            if prompt.count >= limit { throw ModelError.contextTooLong(length: prompt.count, limit: limit) }
            budget = min(request.maxTokens, limit - prompt.count)
            // The cache starts small and doubles as the reply grows: a request without max_tokens may run to
            // the end of the context window, but most replies are short.
            cache = model.network.makeCache(capacity: prompt.count + min(budget, Self.initialCacheTokens))
            prefillStart = DispatchTime.now().uptimeNanoseconds
        }
        guard let cache else { return }
        let end = min(prompt.count, prefilled + Self.prefillChunk)
        let chunk = prompt[prefilled..<end].map(Int32.init)
        let out = try model.network.forward(tokens: chunk, B: 1, T: chunk.count, cache: cache, lastOnly: true)
        prefilled = end
        if end == prompt.count {
            logits = out
            decodeStart = DispatchTime.now().uptimeNanoseconds
            prefillNanos = decodeStart - prefillStart
        }
    }

    /// Prompt tokens per prefill turn.
    static let prefillChunk = 512
    private var prefilled = 0
    private var prefillStart: UInt64 = 0

    static let initialCacheTokens = 256

    /// A cache of twice the room (at most the prompt plus the budget) holding the same keys and values.
    private func grow(_ cache: KVCache) -> KVCache {
        let capacity = min(request.promptIds.count + budget, max(cache.capacity * 2, cache.capacity + 1))
        let bigger = model.network.makeCache(capacity: capacity)
        let filled = cache.length * cache.NKV * cache.hd  // B = 1: the first `length` rows are contiguous
        for l in cache.keys.indices {
            bigger.keys[l].ptr.update(from: cache.keys[l].ptr, count: filled)
            bigger.values[l].ptr.update(from: cache.values[l].ptr, count: filled)
        }
        bigger.length = cache.length
        return bigger
    }

    private func release(_ s: String) {
        guard !s.isEmpty else { return }
        text += s
        emit(.delta(text: s, logprobs: pendingLogprobs))
        pendingLogprobs = []
    }

    private func finish(_ reason: FinishReason, flushTail: Bool = true) -> Bool {
        if flushTail {
            var rest = ""
            switch matcher.push(decoder.finish()) {
            case .text(let s): rest = s + matcher.finish()
            case .stop(let s): rest = s
            }
            text += rest
            if !rest.isEmpty {
                emit(.delta(text: rest, logprobs: pendingLogprobs))
                pendingLogprobs = []
            }
        }
        let now = DispatchTime.now().uptimeNanoseconds
        let summary = GenerationSummary(
            finishReason: reason, promptTokens: request.promptIds.count, completionTokens: tokens.count, text: text,
            tokenIds: tokens, prefillSeconds: Double(prefillNanos) / 1e9,
            decodeSeconds: decodeStart == 0 ? 0 : Double(now - decodeStart) / 1e9)
        emit(.finished(summary, logprobs: pendingLogprobs))
        logits = nil
        cache = nil
        return true
    }

    private func applyPenalties(_ scores: inout [Float]) {
        guard request.presencePenalty != 0 || request.frequencyPenalty != 0 else { return }
        for (id, n) in counts where id < scores.count {
            scores[id] -= Float(request.presencePenalty + request.frequencyPenalty * Double(n))
        }
    }

    private func logprob(of id: Int, scores: [Float], top k: Int) -> TokenLogprob {
        var m = -Float.infinity
        for x in scores { m = max(m, x) }
        var sum = 0.0
        for x in scores { sum += exp(Double(x - m)) }
        let logZ = Double(m) + log(sum)
        func entry(_ t: Int) -> (String, [UInt8]) {
            let bytes = model.tokenizer.decodeBytes([t])
            return (String(decoding: bytes, as: UTF8.self), bytes)
        }
        var alternatives: [TokenLogprob.Alternative] = []
        if k > 0 {
            alternatives = Self.topK(scores, k).map { t in
                let (token, bytes) = entry(t)
                return .init(tokenId: t, token: token, bytes: bytes, logprob: Double(scores[t]) - logZ)
            }
        }
        let (token, bytes) = entry(id)
        return TokenLogprob(tokenId: id, token: token, bytes: bytes, logprob: Double(scores[id]) - logZ, top: alternatives)
    }

    /// Indices of the k largest scores, largest first (ties: lower id first). O(V·k), k ≤ 20.
    static func topK(_ scores: [Float], _ k: Int) -> [Int] {
        var best: [Int] = []
        best.reserveCapacity(k + 1)
        for (i, x) in scores.enumerated() {
            if best.count == k, let last = best.last, x <= scores[last] { continue }
            var at = best.count
            while at > 0 && scores[best[at - 1]] < x { at -= 1 }
            best.insert(i, at: at)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
