import FinchTensor
import Foundation

/// Loading a model directory: config.json + safetensors weights -> a runnable model.
public enum ModelLoader {
    /// Builds the architecture named by `config.json`'s `model_type` from the directory's safetensors.
    public static func loadModel(directory: URL) throws -> any CausalLanguageModel {
        let config = try ModelConfig.load(directory: directory)
        guard ModelRegistry.builders[config.modelType] != nil else {
            throw ModelError.unsupportedArchitecture(config.modelType)
        }
        let weights = try SafeTensors.loadDirectory(directory)
        return try ModelRegistry.build(config: config, weights: Weights(weights))
    }
}
