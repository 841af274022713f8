import Foundation

extension LoadedModel {
    /// The same model (tokenizer, chat template, end tokens) running `network` instead, e.g. a base
    /// with a LoRA adapter applied.
    public func replacingNetwork(_ network: any CausalLanguageModel) -> LoadedModel {
        LoadedModel(directory: directory, network: network, tokenizer: tokenizer, chatTemplate: chatTemplate,
                    bosToken: bosToken, eosToken: eosToken, eosTokenIds: eosTokenIds)
    }
}
