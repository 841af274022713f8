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

    /// Renders `messages` with the model's chat template and `add_generation_prompt: true`.
    public static func render(model: LoadedModel, messages: [Message]) throws -> String {
        guard model.chatTemplate != nil else {
            throw InferenceError.invalidParameter("model \(model.directory.lastPathComponent) has no chat template")
        }
        throw InferenceError.invalidParameter("chat templates are not supported yet")
    }
}
