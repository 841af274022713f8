import FinchAPI
import FinchInference
import FinchModels
import FinchTokenizer

/// The API errors of the inference endpoints, in OpenAI's words.
extension APIError {
    /// 404 `model_not_found` (Azure: `DeploymentNotFound`).
    static func modelNotFound(_ name: String) -> APIError {
        APIError(status: 404, message: "The model `\(name)` does not exist or you do not have access to it.",
                 type: "invalid_request_error", param: nil, code: "model_not_found", azureCode: "DeploymentNotFound")
    }

    /// 400 `context_length_exceeded`, with the numbers.
    static func contextLengthExceeded(limit: Int, prompt: Int, completion: Int, promptParam: String) -> APIError {
        let unit = promptParam == "messages" ? "messages" : "prompt"
        return .invalidRequest(
            "This model's maximum context length is \(limit) tokens. However, you requested \(prompt + completion) tokens "
                + "(\(prompt) in the \(unit), \(completion) in the completion). Please reduce the length of the \(unit) or completion.",
            param: promptParam, code: "context_length_exceeded")
    }

    /// 400 for a parameter Finch does not implement.
    static func unsupported(_ param: String, _ message: String) -> APIError {
        .invalidRequest(message, param: param, code: "unsupported_parameter")
    }

    /// Engine errors as API errors: outside input is a 400/404, anything else our own 500.
    static func inference(_ error: any Error, model: String) -> APIError {
        switch error {
        case let error as APIError: return error
        case ModelHostError.modelNotFound(let name): return .modelNotFound(name)
        case let error as ModelHostError:
            return APIError(status: 500, message: error.description, type: "server_error", param: nil, code: "model_load_failed",
                            azureCode: "internalFailure")
        case ModelError.contextTooLong(let length, let limit):
            return .invalidRequest("This model's maximum context length is \(limit) tokens. However, you requested \(length) tokens.",
                                   param: "messages", code: "context_length_exceeded")
        case ModelError.tokenOutOfRange(let token, let size):
            return .invalidRequest("Invalid token id \(token): the vocabulary has \(size) tokens.", param: "prompt", code: "invalid_value")
        case InferenceError.emptyPrompt:
            return .invalidRequest("The prompt is empty.", param: "prompt", code: "invalid_value")
        case InferenceError.invalidParameter(let message):
            return .invalidRequest(message)
        case let error as ChatTemplateError:
            return .invalidRequest("The chat template of `\(model)` could not render these messages: \(error)", param: "messages",
                                   code: "invalid_value")
        default:
            return .internalError
        }
    }
}

/// Range checks that name the parameter, as OpenAI's validation does.
enum Check {
    static func number(_ value: Double?, _ name: String, _ range: ClosedRange<Double>) throws(APIError) {
        guard let value else { return }
        guard value.isFinite else { throw .invalidRequest("Invalid '\(name)': expected a finite number.", param: name, code: "invalid_value") }
        if value < range.lowerBound {
            throw .invalidRequest("Invalid '\(name)': decimal below minimum value. Expected a value >= \(format(range.lowerBound)), but got \(format(value)) instead.",
                                  param: name, code: "decimal_below_min_value")
        }
        if value > range.upperBound {
            throw .invalidRequest("Invalid '\(name)': decimal above maximum value. Expected a value <= \(format(range.upperBound)), but got \(format(value)) instead.",
                                  param: name, code: "decimal_above_max_value")
        }
    }

    static func integer(_ value: Int?, _ name: String, min: Int, max: Int? = nil) throws(APIError) {
        guard let value else { return }
        if value < min {
            throw .invalidRequest("Invalid '\(name)': integer below minimum value. Expected a value >= \(min), but got \(value) instead.",
                                  param: name, code: "integer_below_min_value")
        }
        if let max, value > max {
            throw .invalidRequest("Invalid '\(name)': integer above maximum value. Expected a value <= \(max), but got \(value) instead.",
                                  param: name, code: "integer_above_max_value")
        }
    }

    static func format(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int64(x)) : String(x)
    }
}
