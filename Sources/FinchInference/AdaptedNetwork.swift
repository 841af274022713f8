import FinchModels
import FinchTensor

/// A fine-tuned model served as its base network plus a LoRA adapter's small A/B tensors: every forward
/// pass (prefill and decode, with the key/value cache) runs the shared base and adds scale·B·(A·x) to the
/// linear layers the adapter changes. Nothing of the base is copied; its weights are the same objects.
public final class AdaptedNetwork: CausalLanguageModel {
    /// The shared base network.
    public let base: any CausalLanguageModel
    public let adapter: LinearAdapter

    public init(base: any CausalLanguageModel, adapter: LinearAdapter) {
        self.base = base
        self.adapter = adapter
    }

    public var config: ModelConfig { base.config }
    /// The base's weights (the adapter's tensors are not among them).
    public var weights: Weights { base.weights }

    /// The base's forward pass with this adapter (or the caller's, when given).
    public func forward(tokens: [Int32], B: Int, T: Int, cache: KVCache?, lastOnly: Bool, adapter: LinearAdapter?) throws
        -> Tensor
    {
        try base.forward(tokens: tokens, B: B, T: T, cache: cache, lastOnly: lastOnly, adapter: adapter ?? self.adapter)
    }
}
