import FinchTokenizer
import Foundation

/// What a data-file problem is about. Errors use the keys of OpenAI's data-preparation cookbook
/// (`Chat_finetuning_data_prep.ipynb`: `data_type`, `missing_messages_list`, `message_missing_key`,
/// `message_unrecognized_key`, `unrecognized_role`, `missing_content`, `example_missing_assistant_message`) plus
/// ours; a job fails on the first error of its files. Warnings (the data trains, maybe not as meant) follow the
/// cookbook and the legacy `openai tools fine_tunes.prepare_data`.
public enum DataIssueCategory: String, Sendable, Codable, CaseIterable, Comparable {
    // MARK: errors
    case unreadableFile = "unreadable_file"
    case invalidJSON = "invalid_json"
    case dataType = "data_type"
    case missingMessagesList = "missing_messages_list"
    case mixedFormats = "mixed_formats"
    case messageMissingKey = "message_missing_key"
    case messageUnrecognizedKey = "message_unrecognized_key"
    case unrecognizedRole = "unrecognized_role"
    case missingContent = "missing_content"
    case unsupportedContent = "unsupported_content"
    case badWeight = "bad_weight"
    case exampleMissingAssistantMessage = "example_missing_assistant_message"
    case badTools = "bad_tools"
    case invalidPrompt = "invalid_prompt"
    case missingCompletion = "missing_completion"
    case emptyCompletion = "empty_completion"
    case noExamples = "no_examples"
    case tooFewExamples = "too_few_examples"

    // MARK: warnings
    case missingSystemMessage = "missing_system_message"
    case missingUserMessage = "missing_user_message"
    case duplicateExample = "duplicate_example"
    case unrecognizedExampleKey = "unrecognized_example_key"
    /// Legacy prepare_data advice for prompt/completion data.
    case completionNoLeadingWhitespace = "completion_no_leading_whitespace"
    case promptNoCommonSeparator = "prompt_no_common_separator"
    case completionNoCommonEnding = "completion_no_common_ending"
    /// A validation example that is also in the training file.
    case inTrainingFile = "in_training_file"
    /// Found with the model's tokenizer (`DataReport`), not by the job's file validation.
    case tooLong = "too_long"
    case noTrainedTokens = "no_trained_tokens"
    /// The model's chat template cannot render the example: the job passes validation but training fails.
    case templateError = "template_error"

    public var isError: Bool {
        switch self {
        case .unreadableFile, .invalidJSON, .dataType, .missingMessagesList, .mixedFormats, .messageMissingKey,
             .messageUnrecognizedKey, .unrecognizedRole, .missingContent, .unsupportedContent, .badWeight,
             .exampleMissingAssistantMessage, .badTools, .invalidPrompt, .missingCompletion, .emptyCompletion,
             .noExamples, .tooFewExamples:
            true
        default:
            false
        }
    }

    /// Declaration order (errors first, in the order the checks run).
    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One problem: its category, the 1-based line of the file (nil for the whole file) and a sentence naming the
/// example and message as OpenAI's job errors do ("Example 3, message 2: Discriminator 'role' is missing in value").
public struct DataIssue: Sendable, Equatable, Codable {
    public var category: DataIssueCategory
    public var line: Int?
    public var text: String

    public init(_ category: DataIssueCategory, line: Int?, _ text: String) {
        self.category = category
        self.line = line
        self.text = text
    }
}

/// A parsed example and the line it came from.
public struct NumberedExample: Sendable, Equatable {
    public var line: Int
    public var example: TrainingExample
}

/// Every check of one JSONL file, line by line, collecting all problems instead of stopping at the first.
/// The job's file validation (`TrainingData.parse`) and `finch prepare-data` both read files through this, and
/// the job's verdict is `firstError`: the first error in file order, so the two can never disagree.
public struct DataFileCheck: Sendable {
    public enum Format: String, Sendable, Codable {
        case chat
        case promptCompletion = "prompt_completion"
    }

    public let role: DataFileRole
    /// The format of the first example line (every line must have it).
    public private(set) var format: Format?
    /// Non-blank lines: one example each.
    public private(set) var lineCount = 0
    /// The examples of the lines without errors.
    public private(set) var examples: [NumberedExample] = []
    /// Errors and warnings in file order (file-wide ones after the lines).
    public private(set) var issues: [DataIssue] = []
    /// Each distinct example line's JSON value and the first line it is on (duplicates, train/validation overlap).
    public private(set) var firstLine: [TemplateValue: Int] = [:]
    /// The longest suffix all prompts / all completions share (prompt/completion files; legacy prepare_data advice).
    public private(set) var commonPromptSuffix: String?
    public private(set) var commonCompletionSuffix: String?

    public var errors: [DataIssue] { issues.filter { $0.category.isError } }
    public var warnings: [DataIssue] { issues.filter { !$0.category.isError } }

    /// What the job's file validation answers: the first error, with OpenAI's code, parameter and wording.
    public var firstError: DataValidationError? {
        issues.first { $0.category.isError }.map { $0.validationError(role: role) }
    }

    /// Reads `url` and checks it (an unreadable file is one `unreadable_file` error).
    public init(contentsOf url: URL, role: DataFileRole) {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            self.init(Data(), role: role)
            issues = [DataIssue(.unreadableFile, line: nil, "The file \(url.lastPathComponent) could not be read.")]
            return
        }
        self.init(data, role: role)
    }

    /// Checks JSONL bytes. Blank lines are skipped; every other line must be one example, all of the same format.
    public init(_ data: Data, role: DataFileRole) {
        self.role = role
        var lineNumber = 0
        var prompts: [String] = [], completions: [String] = []
        for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            lineCount += 1
            var lineIssues = LineIssues(line: lineNumber)
            let example = check(line: line, &lineIssues)
            issues += lineIssues.found
            guard let example, !lineIssues.hasError else { continue }
            examples.append(NumberedExample(line: lineNumber, example: example.example))
            if let first = firstLine[example.value] {
                issues.append(DataIssue(.duplicateExample, line: lineNumber, "Example \(lineNumber) repeats example \(first)."))
            } else {
                firstLine[example.value] = lineNumber
            }
            if case .completion(let p, let c) = example.example {
                prompts.append(p)
                completions.append(c)
            }
        }
        if !prompts.isEmpty {
            let separator = Self.commonSuffix(prompts), ending = Self.commonSuffix(completions)
            commonPromptSuffix = separator
            commonCompletionSuffix = ending
            if separator.isEmpty && prompts.count > 1 {
                issues.append(DataIssue(.promptNoCommonSeparator, line: nil,
                    "The prompts do not end with a common separator; ending every prompt with one (e.g. \"\\n\\n###\\n\\n\") shows the model where the completion begins."))
            }
            if ending.isEmpty && completions.count > 1 {
                issues.append(DataIssue(.completionNoCommonEnding, line: nil,
                    "The completions do not end with a common ending (e.g. \"\\n\" or \" END\") to use as a stop sequence (Finch also appends the end-of-sequence token)."))
            }
        }
        // File-wide errors; after the line errors, which a job reports first.
        if lineCount == 0 {
            issues.append(DataIssue(.noExamples, line: nil, "The file has no examples."))
        } else if role == .training && lineCount < TrainingData.minimumExamples {
            issues.append(DataIssue(.tooFewExamples, line: nil,
                "Training file has \(lineCount) example(s), but must have at least \(TrainingData.minimumExamples) examples"))
        }
    }

    /// The problems of one line, and whether any is an error.
    struct LineIssues {
        let line: Int
        var found: [DataIssue] = []
        var hasError = false
        mutating func add(_ category: DataIssueCategory, _ text: String) {
            found.append(DataIssue(category, line: line, text))
            hasError = hasError || category.isError
        }
    }

    /// The checks of one line, in the order a job reports them (its first error is the job's error).
    private mutating func check(line bytes: Data.SubSequence, _ issues: inout LineIssues) -> (example: TrainingExample, value: TemplateValue)? {
        let n = issues.line
        let value: TemplateValue
        do { value = try TemplateValue(parsingJSON: bytes) } catch {
            issues.add(.invalidJSON, "Line \(n) is not valid JSON: \(error)")
            return nil
        }
        guard let obj = value.objectValue else {
            issues.add(.dataType, "Example \(n): expected a JSON object.")
            return nil
        }
        let chat = obj["messages"] != nil
        if !chat && obj["prompt"] == nil {
            issues.add(.missingMessagesList, "Example \(n): Missing required key 'messages' (or 'prompt' and 'completion').")
            return nil
        }
        let lineFormat: Format = chat ? .chat : .promptCompletion
        if let format, format != lineFormat {
            issues.add(.mixedFormats, "Example \(n): mixes the chat format ('messages') and the prompt/completion format.")
        }
        format = format ?? lineFormat
        let known: Set<String> = chat ? ["messages", "tools", "functions", "parallel_tool_calls"] : ["prompt", "completion"]
        let example = chat ? Self.checkChat(obj, &issues) : Self.checkCompletion(obj, &issues)
        for key in obj.keys where !known.contains(key) {
            issues.add(.unrecognizedExampleKey, "Example \(n): key '\(key)' is ignored.")
        }
        return example.map { ($0, value) }
    }

    static func checkCompletion(_ obj: TemplateObject, _ issues: inout LineIssues) -> TrainingExample? {
        let n = issues.line
        let prompt = obj["prompt"]?.stringValue
        if prompt == nil { issues.add(.invalidPrompt, "Example \(n): 'prompt' must be a string.") }
        let completion = obj["completion"]?.stringValue
        if completion == nil {
            issues.add(.missingCompletion, "Example \(n): Missing required key 'completion' (a string).")
        } else if completion!.isEmpty {
            issues.add(.emptyCompletion, "Example \(n): 'completion' is empty.")
        } else if let first = completion!.unicodeScalars.first, !first.properties.isWhitespace {
            issues.add(.completionNoLeadingWhitespace,
                       "Example \(n): the completion does not start with a space or newline (legacy prepare_data advice for GPT-3 tokenizers).")
        }
        guard let prompt, let completion, !completion.isEmpty else { return nil }
        return .completion(prompt: prompt, completion: completion)
    }

    static func checkChat(_ obj: TemplateObject, _ issues: inout LineIssues) -> TrainingExample? {
        let n = issues.line
        guard let messages = obj["messages"]?.arrayValue else {
            issues.add(.missingMessagesList, "Example \(n): 'messages' must be a list.")
            return nil
        }
        if messages.isEmpty {
            issues.add(.missingMessagesList, "Example \(n): 'messages' must not be empty.")
            return nil
        }
        var roles: Set<String> = []
        var out: [TemplateValue] = []
        for (i, m) in messages.enumerated() {
            let at = "Example \(n), message \(i + 1)"
            guard var msg = m.objectValue else {
                issues.add(.dataType, "\(at): expected a JSON object.")
                continue
            }
            var role: String?
            if let roleValue = msg["role"] {
                if let r = roleValue.stringValue, TrainingData.roles.contains(r) {
                    role = r
                } else {
                    issues.add(.unrecognizedRole,
                               "\(at): Invalid value for 'role': \(roleValue). Expected one of: \(TrainingData.roles.sorted().joined(separator: ", ")).")
                }
            } else {
                issues.add(.messageMissingKey, "\(at): Discriminator 'role' is missing in value")
            }
            for key in msg.keys where !TrainingData.messageKeys.contains(key) {
                issues.add(.messageUnrecognizedKey, "\(at): Unrecognized key '\(key)'.")
            }
            let hasCalls = msg["tool_calls"].map { !$0.isNull } ?? false || msg["function_call"].map { !$0.isNull } ?? false
            switch msg["content"] {
            case .string?: break
            case .array(let parts)?:
                // text parts only: joined (images are not supported by our text models)
                var text = ""
                for p in parts {
                    guard p["type"]?.stringValue == "text", let t = p["text"]?.stringValue else {
                        issues.add(.unsupportedContent, "\(at): only text content parts are supported.")
                        break
                    }
                    text += t
                }
                msg["content"] = .string(text)
            case nil, .null?:
                if !(role == "assistant" && hasCalls) { issues.add(.missingContent, "\(at): Missing 'content'.") }
            default:
                issues.add(.missingContent, "\(at): 'content' must be a string or a list of text parts.")
            }
            if let w = msg["weight"], let role {
                if role != "assistant" {
                    issues.add(.badWeight, "\(at): 'weight' is only allowed on assistant messages.")
                } else if !(w.intValue == 0 || w.intValue == 1) {
                    issues.add(.badWeight, "\(at): 'weight' must be 0 or 1.")
                }
            }
            if role == "function" && msg["name"]?.stringValue == nil {
                issues.add(.messageMissingKey, "\(at): a function message needs 'name'.")
            }
            if let role { roles.insert(role) }
            out.append(.object(msg))
        }
        if !roles.contains("assistant") {
            issues.add(.exampleMissingAssistantMessage, "Example \(n): Missing assistant message (at least one is required).")
        }
        var tools: [TemplateValue]?
        if let t = obj["tools"], !t.isNull {
            if let list = t.arrayValue { tools = list } else { issues.add(.badTools, "Example \(n): 'tools' must be a list.") }
        } else if let f = obj["functions"], !f.isNull {
            if let list = f.arrayValue, !list.isEmpty, list.count <= 128 {
                tools = list.map { .object(TemplateObject([("type", "function"), ("function", $0)])) }
            } else {
                issues.add(.badTools, "Example \(n): 'functions' must be a list of 1 to 128 functions.")
            }
        }
        guard !issues.hasError else { return nil }
        if !roles.contains("system") && !roles.contains("developer") {
            issues.add(.missingSystemMessage, "Example \(n): no system message.")
        }
        if !roles.contains("user") { issues.add(.missingUserMessage, "Example \(n): no user message.") }
        return .chat(messages: out, tools: tools)
    }

    /// The longest common suffix of `strings` (by characters).
    static func commonSuffix(_ strings: [String]) -> String {
        guard let first = strings.first else { return "" }
        var suffix = Substring(first)
        for s in strings.dropFirst() where !suffix.isEmpty {
            var a = suffix.endIndex, b = s.endIndex
            while a > suffix.startIndex && b > s.startIndex {
                let pa = suffix.index(before: a), pb = s.index(before: b)
                guard suffix[pa] == s[pb] else { break }
                a = pa
                b = pb
            }
            suffix = suffix[a...]
        }
        return String(suffix)
    }
}

extension DataIssue {
    /// The error a job fails with: OpenAI's code and parameter, "Invalid file format. …" for a bad line.
    public func validationError(role: DataFileRole) -> DataValidationError {
        switch category {
        case .tooFewExamples: DataValidationError(code: "invalid_n_examples", param: role.param, message: text)
        case .unreadableFile: DataValidationError(code: role.code, param: role.param, message: text)
        default: DataValidationError(code: role.code, param: role.param, message: "Invalid file format. " + text)
        }
    }
}
