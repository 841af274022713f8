import FinchTokenizer
import Foundation

/// One training example as parsed from an OpenAI JSONL line.
public enum TrainingExample: Sendable, Equatable {
    /// Chat format: the messages (JSON objects, key order kept, passed to the chat template as they are),
    /// the `tools` (or legacy `functions`, converted to tools) and `parallel_tool_calls`.
    case chat(messages: [TemplateValue], tools: [TemplateValue]?)
    /// Prompt/completion format (babbage-002/davinci-002, the legacy API).
    case completion(prompt: String, completion: String)
}

/// A data file problem, with the code OpenAI reports in `job.error` (`invalid_training_file`,
/// `invalid_validation_file`, `invalid_n_examples`), the parameter it concerns and a message naming the line.
public struct DataValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public let code: String
    public let param: String
    public let message: String
    public var description: String { "\(code) (\(param)): \(message)" }

    public init(code: String, param: String, message: String) {
        self.code = code
        self.param = param
        self.message = message
    }

    /// The failed job's `error.message`, in OpenAI's wording:
    /// "The job failed due to an invalid training file. Invalid file format. Example 3, …".
    public var jobMessage: String {
        switch code {
        case "invalid_training_file": "The job failed due to an invalid training file. " + message
        case "invalid_validation_file": "The job failed due to an invalid validation file. " + message
        default: message
        }
    }
}

/// Which file is being read: decides the error code and parameter name.
public enum DataFileRole: Sendable {
    case training, validation

    var code: String { self == .training ? "invalid_training_file" : "invalid_validation_file" }
    var param: String { self == .training ? "training_file" : "validation_file" }
}

/// Reads and checks OpenAI fine-tuning JSONL (chat or prompt/completion), as the job's file validation does.
public enum TrainingData {
    /// Minimum number of training examples (OpenAI's rule; fewer fails with `invalid_n_examples`).
    public static let minimumExamples = 10

    public static let roles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]
    static let messageKeys: Set<String> = ["role", "content", "name", "function_call", "weight", "tool_calls",
                                           "tool_call_id", "refusal"]

    /// Reads `url` and returns its examples, or throws `DataValidationError`.
    public static func load(contentsOf url: URL, role: DataFileRole) throws -> [TrainingExample] {
        try DataFileCheck(contentsOf: url, role: role).validExamples()
    }

    /// Parses JSONL bytes. Blank lines are skipped; every other line must be one example of the same format.
    /// Throws the first error of `DataFileCheck` (what `finch prepare-data` reports as the verdict).
    public static func parse(_ data: Data, role: DataFileRole) throws -> [TrainingExample] {
        try DataFileCheck(data, role: role).validExamples()
    }
}

extension DataFileCheck {
    /// The examples, or the job's error if the file has one.
    public func validExamples() throws -> [TrainingExample] {
        if let firstError { throw firstError }
        return examples.map(\.example)
    }
}
