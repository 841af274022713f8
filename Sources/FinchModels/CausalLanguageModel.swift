import FinchTensor

/// A decoder-only language model: token ids in, next-token logits out.
public protocol CausalLanguageModel: AnyObject, Sendable {
    var config: ModelConfig { get }
    /// Weights by their HF names.
    var weights: Weights { get }

    /// tokens: (B,T). With a cache, the tokens continue the cached sequence (B must match the cache's).
    /// Returns logits (B,T,V), or (B,1,V) for the last position only when `lastOnly`. With an adapter, its
    /// low-rank updates are added to the outputs of the linear layers it changes (the weights stay as they are).
    func forward(tokens: [Int32], B: Int, T: Int, cache: KVCache?, lastOnly: Bool, adapter: LinearAdapter?) throws -> Tensor
}

extension CausalLanguageModel {
    /// The forward pass of the network itself (with no adapter of the caller's).
    public func forward(tokens: [Int32], B: Int, T: Int, cache: KVCache?, lastOnly: Bool) throws -> Tensor {
        try forward(tokens: tokens, B: B, T: T, cache: cache, lastOnly: lastOnly, adapter: nil)
    }

    /// An empty key/value cache for B sequences of up to `capacity` tokens.
    public func makeCache(B: Int = 1, capacity: Int) -> KVCache {
        KVCache(L: config.numLayers, B: B, capacity: min(capacity, config.maxPositionEmbeddings),
                NKV: config.numKVHeads, hd: config.headDim)
    }

    func checkTokens(_ tokens: [Int32], B: Int, T: Int, cache: KVCache?) throws -> Int {
        precondition(tokens.count == B * T, "forward: tokens.count != B*T")
        for t in tokens where t < 0 || Int(t) >= config.vocabSize {
            throw ModelError.tokenOutOfRange(token: Int(t), vocabSize: config.vocabSize)
        }
        let past = cache?.length ?? 0
        if let cache {
            precondition(cache.B == B, "forward: cache batch differs")
            if past + T > cache.capacity { throw ModelError.contextTooLong(length: past + T, limit: cache.capacity) }
        }
        if past + T > config.maxPositionEmbeddings {
            throw ModelError.contextTooLong(length: past + T, limit: config.maxPositionEmbeddings)
        }
        return past
    }
}

/// Named weights with shape checks on lookup.
public struct Weights: Sendable {
    public var tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }

    public func require(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard let t = tensors[name] else { throw ModelError.missingWeight(name) }
        guard t.shape == shape else { throw ModelError.shapeMismatch(name: name, expected: shape, actual: t.shape) }
        return t
    }

    public func optional(_ name: String, _ shape: [Int]) throws -> Tensor? {
        tensors[name] == nil ? nil : try require(name, shape)
    }
}

/// Per-layer keys and values of the tokens seen so far.
/// k, v per layer: (B,Tcap,NKV,hd). `length` tokens are filled.
public final class KVCache: @unchecked Sendable {
    public let B: Int, capacity: Int, NKV: Int, hd: Int
    public private(set) var keys: [Tensor]
    public private(set) var values: [Tensor]
    /// Tokens already in the cache.
    public var length: Int = 0

    public init(L: Int, B: Int, capacity: Int, NKV: Int, hd: Int) {
        self.B = B
        self.capacity = capacity
        self.NKV = NKV
        self.hd = hd
        keys = (0..<L).map { _ in Tensor(shape: [B, capacity, NKV, hd]) }
        values = (0..<L).map { _ in Tensor(shape: [B, capacity, NKV, hd]) }
    }

    /// Copies the new keys/values k, v: (B,T,NKV,hd) of layer l into positions past..<past+T.
    func store(layer l: Int, k: UnsafePointer<Float>, v: UnsafePointer<Float>, T: Int, past: Int) {
        let row = NKV * hd
        for b in 0..<B {
            (keys[l].ptr + (b * capacity + past) * row).update(from: k + b * T * row, count: T * row)
            (values[l].ptr + (b * capacity + past) * row).update(from: v + b * T * row, count: T * row)
        }
    }

    /// Forgets everything after the first `n` tokens (e.g. to reuse a shared prompt prefix).
    public func truncate(to n: Int) { length = min(length, max(0, n)) }
}

/// Builds a model from its config and weights, by HF `model_type`.
public enum ModelRegistry {
    public typealias Builder = @Sendable (ModelConfig, Weights) throws -> any CausalLanguageModel

    static let builders: [String: Builder] = [
        "llama": { try LlamaModel(config: $0, weights: $1) },
        "mistral": { try LlamaModel(config: $0, weights: $1) },
        "qwen2": { try Qwen2.make(config: $0, weights: $1) },
        "qwen3": { try Qwen3.make(config: $0, weights: $1) },
        "gpt2": { try GPT2Model(config: $0, weights: $1) },
    ]

    public static var supportedTypes: [String] { builders.keys.sorted() }

    public static func build(config: ModelConfig, weights: Weights) throws -> any CausalLanguageModel {
        guard let b = builders[config.modelType] else { throw ModelError.unsupportedArchitecture(config.modelType) }
        return try b(config, weights)
    }
}
