import FinchModels
import FinchTokenizer

extension ChatPrompt {
    /// Renders full OpenAI-style messages (already as template values: `role`, `content`, and
    /// `tool_calls` / `tool_call_id` / `name` where present) and tool definitions, with the same tool-turn
    /// fallback as training (`ChatTemplate.adaptingToolTurns`), so any chat model can be fine-tuned to call
    /// functions and served with the prompt format it was trained on.
    public static func render(model: LoadedModel, messages: [TemplateValue], tools: [TemplateValue]?,
                              addGenerationPrompt: Bool = true) throws -> String {
        guard let source = model.chatTemplate else {
            throw InferenceError.invalidParameter("model \(model.directory.lastPathComponent) has no chat template")
        }
        let template = try ChatTemplate(source)
        let adapted = template.adaptingToolTurns(messages: messages, tools: tools)
        return try template.render(messages: adapted.messages, tools: adapted.tools, addGenerationPrompt: addGenerationPrompt,
                                   bosToken: model.bosToken, eosToken: model.eosToken)
    }
}
