import FinchModels
import FinchTokenizer
import Foundation

/// A tokenized example: ids and, per token, the weight of predicting it (0 = not trained).
public struct TokenizedExample: Sendable, Equatable {
    public var tokens: [Int32]
    public var weights: [Float]
    /// Tokens cut from the end to fit the context length.
    public var truncatedTokens: Int = 0

    public init(tokens: [Int32], weights: [Float], truncatedTokens: Int = 0) {
        self.tokens = tokens
        self.weights = weights
        self.truncatedTokens = truncatedTokens
    }

    /// Whether any token carries loss weight (position 0 is never predicted).
    public var isTrainable: Bool { weights.dropFirst().contains { $0 != 0 } }

    /// This example cut from the end to `maxLength` tokens, as OpenAI truncates, recording what was cut.
    public func truncated(to maxLength: Int) -> TokenizedExample {
        guard tokens.count > maxLength else { return self }
        var out = self
        out.truncatedTokens = tokens.count - maxLength
        out.tokens.removeLast(out.truncatedTokens)
        out.weights.removeLast(out.truncatedTokens)
        return out
    }
}

/// Turns parsed examples into tokens and loss weights with a model's tokenizer and chat template.
///
/// Chat: the conversation is rendered by the chat template (with `tools`, or the tool-turn fallback of
/// `ChatTemplate.adaptingToolTurns` for templates without tool support); each assistant message's span is
/// found by rendering the conversation up to it with and without it (the generation prompt is the
/// boundary), so the loss covers exactly what the model would generate for that turn, end-of-turn
/// token included. `weight: 0` messages are context only. Text between spans is tokenized piece by piece
/// (templates put special tokens at turn boundaries, so this equals whole-text tokenization there).
/// Prompt/completion: prompt tokens weigh `promptLossWeight`, completion tokens (plus EOS) weigh 1.
public struct ExampleTokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let template: ChatTemplate?
    public let bosToken: String?, eosToken: String?
    public let eosTokenId: Int?
    public let maxLength: Int
    public let promptLossWeight: Float

    public init(tokenizer: Tokenizer, chatTemplate: String?, bosToken: String?, eosToken: String?, eosTokenId: Int?,
                maxLength: Int, promptLossWeight: Double) throws {
        self.tokenizer = tokenizer
        template = try chatTemplate.map { try ChatTemplate($0) }
        self.bosToken = bosToken
        self.eosToken = eosToken
        self.eosTokenId = eosTokenId
        self.maxLength = maxLength
        self.promptLossWeight = Float(promptLossWeight)
    }

    /// Reads tokenizer.json, tokenizer_config.json (chat_template, bos/eos) or chat_template.jinja in `directory`.
    public init(modelDirectory directory: URL, maxLength: Int, promptLossWeight: Double) throws {
        let tokURL = directory.appendingPathComponent("tokenizer.json")
        let tokenizer: Tokenizer
        do { tokenizer = try Tokenizer(contentsOf: tokURL) } catch {
            throw TrainingError.model("cannot load \(tokURL.path): \(error)")
        }
        var tc: [String: Any] = [:]
        if let d = FileManager.default.contents(atPath: directory.appendingPathComponent("tokenizer_config.json").path),
           let o = (try? JSONSerialization.jsonObject(with: d)) as? [String: Any] { tc = o }
        var template = tc["chat_template"] as? String
        if template == nil, let list = tc["chat_template"] as? [[String: Any]] {
            template = (list.first { $0["name"] as? String == "default" } ?? list.first)?["template"] as? String
        }
        if template == nil, let d = FileManager.default.contents(atPath: directory.appendingPathComponent("chat_template.jinja").path) {
            template = String(decoding: d, as: UTF8.self)
        }
        func tokenString(_ v: Any?) -> String? { (v as? String) ?? (v as? [String: Any])?["content"] as? String }
        let eos = tokenString(tc["eos_token"])
        let config = try? ModelConfig.load(directory: directory)
        let eosId = eos.flatMap { tokenizer.tokenID(for: $0) } ?? config?.eosTokenIds.first
        try self.init(tokenizer: tokenizer, chatTemplate: template, bosToken: tokenString(tc["bos_token"]), eosToken: eos,
                      eosTokenId: eosId, maxLength: maxLength, promptLossWeight: promptLossWeight)
    }

    /// Tokens and loss weights for one example, truncated from the end to `maxLength`.
    public func tokenize(_ example: TrainingExample) throws -> TokenizedExample {
        var ids: [Int] = [], weights: [Float] = []
        switch example {
        case .completion(let prompt, let completion):
            let p = tokenizer.encode(prompt, addSpecialTokens: true, parseSpecialTokens: false)
            var c = tokenizer.encode(completion, addSpecialTokens: false, parseSpecialTokens: false)
            if let eosTokenId { c.append(eosTokenId) }
            ids = p + c
            weights = [Float](repeating: promptLossWeight, count: p.count) + [Float](repeating: 1, count: c.count)
        case .chat(let original, let originalTools):
            guard let template else { throw TrainingError.model("the model has no chat template for chat-format data") }
            // Tool turns as serving renders them (Hermes blocks for templates without tool support).
            let (messages, tools) = template.adaptingToolTurns(messages: original, tools: originalTools)
            func render(_ msgs: ArraySlice<TemplateValue>, _ generation: Bool) throws -> String {
                try template.render(messages: Array(msgs), tools: tools, addGenerationPrompt: generation,
                                    bosToken: bosToken, eosToken: eosToken, now: Date(timeIntervalSince1970: 0))
            }
            let full = try render(messages[...], false)
            // character spans [start, end) of trained assistant turns in `full`
            var cuts: [(start: String.Index, end: String.Index, weight: Float)] = []
            for (i, m) in messages.enumerated() where m["role"]?.stringValue == "assistant" {
                // a first-turn assistant: the template may still emit a default system prompt
                let before = i == 0 ? ((try? render(messages[..<0], true)) ?? "") : try render(messages[..<i], true)
                let through = try render(messages[...i], false)
                guard through.hasPrefix(before), full.hasPrefix(through) else {
                    throw TrainingError.model("the chat template does not render assistant turn \(i + 1) as a continuation of the conversation")
                }
                let w: Float = m["weight"]?.intValue == 0 ? 0 : 1
                let start = full.index(full.startIndex, offsetBy: before.count)
                let end = full.index(full.startIndex, offsetBy: through.count)
                if start < end { cuts.append((start, end, w)) }
            }
            var pos = full.startIndex
            func emit(_ text: Substring, _ w: Float) {
                guard !text.isEmpty else { return }
                let t = tokenizer.encode(String(text), addSpecialTokens: false, parseSpecialTokens: true)
                ids += t
                weights += [Float](repeating: w, count: t.count)
            }
            for cut in cuts {
                emit(full[pos..<cut.start], 0)
                emit(full[cut.start..<cut.end], cut.weight)
                pos = cut.end
            }
            emit(full[pos...], 0)
        }
        return TokenizedExample(tokens: ids.map { Int32($0) }, weights: weights).truncated(to: maxLength)
    }
}
