import FinchAPI

/// How Finch resolves `"auto"` hyperparameters once it knows the number of training examples `n`.
/// Documented in the README; reported on the job as numbers after validation.
enum AutoHyperparameters {
    /// The cookbook rule: 3 epochs, raised to min(25, 100 / n) for tiny sets, lowered to max(1, 25000 / n) for huge ones.
    static func epochs(examples n: Int) -> Int {
        let n = max(n, 1)
        if n * 3 < 100 { return min(25, 100 / n) }
        if n * 3 > 25_000 { return max(1, 25_000 / n) }
        return 3
    }

    /// Ours: about a tenth of the data per step, between 1 and 8 (8 keeps a 2-core CPU's GEMMs efficient).
    static func batchSize(examples n: Int) -> Int {
        min(8, max(1, n / 10))
    }

    /// Ours: the learning rate is `multiplier × base`, with base 5e-4 for LoRA and 1e-5 for full fine-tuning;
    /// "auto" is 2 for LoRA (lr 1e-3, the usual LoRA rate for small models) and 1 for full fine-tuning.
    static func learningRateMultiplier(full: Bool) -> Double {
        full ? 1 : 2
    }

    static let loraBaseLearningRate = 5e-4
    static let fullBaseLearningRate = 1e-5

    /// `hyperparameters` with every `"auto"` replaced by its number.
    static func resolve(_ hyperparameters: Hyperparameters, examples n: Int, full: Bool) -> Hyperparameters {
        Hyperparameters(
            batchSize: .value(hyperparameters.batchSize?.value ?? batchSize(examples: n)),
            learningRateMultiplier: .value(hyperparameters.learningRateMultiplier?.value ?? learningRateMultiplier(full: full)),
            nEpochs: .value(hyperparameters.nEpochs?.value ?? epochs(examples: n)),
            beta: hyperparameters.beta)
    }
}
