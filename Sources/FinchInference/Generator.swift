import FinchModels
import FinchTensor
import FinchTokenizer
import Foundation

/// Why generation ended (OpenAI's `finish_reason`).
public enum FinishReason: String, Sendable {
    /// An end-of-sequence token or a stop string.
    case stop
    /// `maxTokens` reached (or the model's context is full).
    case length
}

public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    case emptyPrompt
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .emptyPrompt: "the prompt has no tokens"
        case .invalidParameter(let m): m
        }
    }
}

public struct GenerationOptions: Sendable {
    public var maxTokens: Int
    public var sampling: SamplingParameters
    /// Generation stops before any of these strings; they are not part of the output.
    public var stop: [String]
    /// Keep going past end-of-sequence tokens (benchmarks).
    public var ignoreEOS: Bool

    public init(maxTokens: Int = 256, sampling: SamplingParameters = .init(), stop: [String] = [], ignoreEOS: Bool = false) {
        self.maxTokens = maxTokens
        self.sampling = sampling
        self.stop = stop
        self.ignoreEOS = ignoreEOS
    }

    func validate() throws {
        guard maxTokens >= 0 else { throw InferenceError.invalidParameter("max_tokens must be >= 0") }
        guard sampling.temperature >= 0, sampling.temperature.isFinite else {
            throw InferenceError.invalidParameter("temperature must be >= 0")
        }
        guard sampling.topP > 0, sampling.topP <= 1 else { throw InferenceError.invalidParameter("top_p must be in (0, 1]") }
    }
}

/// One generated token and the text it released (may be empty while a UTF-8 sequence or a
/// possible stop string is incomplete).
public struct GenerationChunk: Sendable, Equatable {
    public let tokenId: Int
    public let text: String
}

public struct GenerationResult: Sendable {
    public let tokenIds: [Int]
    public let text: String
    public let finishReason: FinishReason
    public let promptTokenCount: Int
    /// Wall time of the prompt forward pass and of the token-by-token decode.
    public let prefillSeconds: Double
    public let decodeSeconds: Double
}

/// Token-level generation with a KV cache: prefill the prompt, then one token per forward pass.
/// `onToken` returns false to stop early. Synchronous; runs on the caller's thread.
public func generateTokens(
    network: any CausalLanguageModel, prompt: [Int], maxTokens: Int, sampling: SamplingParameters,
    eosTokenIds: Set<Int>, onToken: (Int) throws -> Bool
) throws -> (tokens: [Int], finish: FinishReason, prefillSeconds: Double, decodeSeconds: Double) {
    guard !prompt.isEmpty else { throw InferenceError.emptyPrompt }
    let limit = network.config.maxPositionEmbeddings
    if prompt.count >= limit { throw ModelError.contextTooLong(length: prompt.count, limit: limit) }
    let budget = min(maxTokens, limit - prompt.count)
    let cache = network.makeCache(capacity: prompt.count + budget)
    var sampler = Sampler(sampling)
    var out: [Int] = []
    let t0 = DispatchTime.now().uptimeNanoseconds
    var logits = try network.forward(tokens: prompt.map(Int32.init), B: 1, T: prompt.count, cache: cache, lastOnly: true)
    let t1 = DispatchTime.now().uptimeNanoseconds
    var finish = FinishReason.length
    while out.count < budget {
        let id = sampler.sample(UnsafeBufferPointer(start: logits.ptr, count: logits.count))
        if eosTokenIds.contains(id) {
            finish = .stop
            break
        }
        out.append(id)
        if try !onToken(id) {
            finish = .stop
            break
        }
        if out.count == budget { break }
        logits = try network.forward(tokens: [Int32(id)], B: 1, T: 1, cache: cache, lastOnly: true)
    }
    let t2 = DispatchTime.now().uptimeNanoseconds
    return (out, finish, Double(t1 - t0) / 1e9, Double(t2 - t1) / 1e9)
}

/// Text generation for a loaded model: tokenization, sampling, stop strings, streaming text.
public struct TextGenerator: Sendable {
    public let model: LoadedModel

    public init(model: LoadedModel) { self.model = model }

    /// Generates from a text prompt (tokenized with the tokenizer's special tokens, e.g. BOS).
    public func generate(
        prompt: String, options: GenerationOptions = .init(), onChunk: (GenerationChunk) throws -> Void = { _ in }
    ) throws -> GenerationResult {
        try generate(promptIds: model.tokenizer.encode(prompt), options: options, onChunk: onChunk)
    }

    /// Generates from prompt token ids; `onChunk` sees every token as it is produced.
    public func generate(
        promptIds: [Int], options: GenerationOptions = .init(), onChunk: (GenerationChunk) throws -> Void = { _ in }
    ) throws -> GenerationResult {
        try options.validate()
        var decoder = model.tokenizer.makeStreamingDecoder(skipSpecialTokens: true)
        var matcher = StopSequenceMatcher(options.stop)
        var text = ""
        var stopped = false
        let r = try generateTokens(
            network: model.network, prompt: promptIds, maxTokens: options.maxTokens, sampling: options.sampling,
            eosTokenIds: options.ignoreEOS ? [] : model.eosTokenIds
        ) { id in
            switch matcher.push(decoder.push(id)) {
            case .text(let s):
                text += s
                try onChunk(GenerationChunk(tokenId: id, text: s))
                return true
            case .stop(let s):
                text += s
                stopped = true
                try onChunk(GenerationChunk(tokenId: id, text: s))
                return false
            }
        }
        if !stopped {
            let tail = matcher.push(decoder.finish())
            var rest = ""
            switch tail {
            case .text(let s): rest = s + matcher.finish()
            case .stop(let s): rest = s
            }
            if !rest.isEmpty {
                text += rest
                try onChunk(GenerationChunk(tokenId: -1, text: rest))
            }
        }
        return GenerationResult(tokenIds: r.tokens, text: text, finishReason: r.finish, promptTokenCount: promptIds.count,
                                prefillSeconds: r.prefillSeconds, decodeSeconds: r.decodeSeconds)
    }
}
