import FinchAPI

/// Checks a JSON Lines upload as it streams in, without holding more than one line: the file must be
/// UTF-8, and every non-blank line one JSON object. The first problem becomes an OpenAI-style 400
/// naming the line ("Invalid file format. Line 3: …").
package struct JSONLValidator {
    /// A line longer than this is refused rather than buffered.
    static let maxLineBytes = 32 << 20

    package private(set) var lineNumber = 0
    private(set) var nonBlankLines = 0
    private(set) var failure: APIError?
    private var line: [UInt8] = []

    package init() {}

    /// Feeds the next chunk of the file.
    package mutating func consume(_ chunk: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        var start = 0
        while start < chunk.count {
            guard let newline = chunk[start...].firstIndex(of: 0x0A) else {
                line.append(contentsOf: chunk[start...])
                if line.count > Self.maxLineBytes {
                    failure = Self.error(line: lineNumber + 1, "the line is longer than \(Self.maxLineBytes >> 20) MiB")
                }
                return
            }
            line.append(contentsOf: chunk[start..<newline])
            finishLine()
            if failure != nil { return }
            start = newline + 1
        }
    }

    /// Ends the stream; returns the error, if any, for the whole file.
    package mutating func finish() -> APIError? {
        if failure == nil, !line.isEmpty { finishLine() }
        if failure == nil, nonBlankLines == 0 {
            failure = .invalidRequest("Invalid file format. The file contains no JSON lines.", param: "file",
                                      code: "invalid_file_format")
        }
        return failure
    }

    private mutating func finishLine() {
        lineNumber += 1
        defer { line.removeAll(keepingCapacity: line.count < (1 << 20)) }
        if lineNumber == 1, line.starts(with: [0xEF, 0xBB, 0xBF]) { line.removeFirst(3) }  // a UTF-8 byte-order mark
        if line.last == 0x0D { line.removeLast() }  // CRLF line endings
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }  // blank lines are skipped, as by the trainer
        nonBlankLines += 1
        guard String(validating: line, as: UTF8.self) != nil else {
            failure = Self.error(line: lineNumber, "the line is not valid UTF-8")
            return
        }
        if let error = line.withUnsafeBytes(JSONSyntax.firstError(inObject:)) {
            failure = Self.error(line: lineNumber, "not a valid JSON object (\(error.reason) at column \(error.offset + 1))")
        }
    }

    static func error(line: Int, _ reason: String) -> APIError {
        var error = APIError.invalidRequest("Invalid file format. Line \(line): \(reason).", param: "file",
                                            code: "invalid_file_format")
        error.azureCode = "jsonlValidationFailed"
        return error
    }
}
