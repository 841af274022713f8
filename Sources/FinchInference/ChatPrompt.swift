import FinchModels
import FinchTokenizer

/// Turning chat messages into the prompt text a model was trained on, via its chat template.
public enum ChatPrompt {
    public struct Message: Sendable, Equatable {
        public var role: String
        public var content: String
        public init(role: String, content: String) {
            self.role = role
            self.content = content
        }
    }

    /// Renders `messages` with the model's chat template and `add_generation_prompt: true`,
    /// as transformers' `apply_chat_template(..., tokenize=False)`. Tokenize the result without
    /// adding special tokens: the template already holds them.
    public static func render(model: LoadedModel, messages: [Message], addGenerationPrompt: Bool = true) throws -> String {
        guard let source = model.chatTemplate else {
            throw InferenceError.invalidParameter("model \(model.directory.lastPathComponent) has no chat template")
        }
        let template = try ChatTemplate(source)
        let values: [TemplateValue] = messages.map {
            .object(TemplateObject([("role", .string($0.role)), ("content", .string($0.content))]))
        }
        return try template.render(messages: values, addGenerationPrompt: addGenerationPrompt,
                                   bosToken: model.bosToken, eosToken: model.eosToken)
    }
}
