import Foundation

/// Splits a `text/event-stream` body into the `data:` payloads of its events, whatever the chunk
/// boundaries: a payload may arrive in pieces, several may arrive in one chunk, lines may end in
/// `\n` or `\r\n`. Multi-line data is joined with `\n`, comments (`:`) and other fields are ignored.
public struct ServerSentEventParser: Sendable {
    private var buffer: [UInt8] = []
    private var dataLines: [String] = []

    public init() {}

    /// Feeds a chunk and returns the payloads of the events it completed.
    public mutating func feed(_ chunk: some Sequence<UInt8>) -> [String] {
        buffer.append(contentsOf: chunk)
        var payloads: [String] = []
        var lineStart = 0
        while let newline = buffer[lineStart...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[lineStart..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lineStart = newline + 1
            if line.isEmpty {
                if !dataLines.isEmpty { payloads.append(dataLines.joined(separator: "\n")) }
                dataLines = []
            } else if line.starts(with: Array("data:".utf8)) {
                var value = line.dropFirst(5)
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
                dataLines.append(String(decoding: value, as: UTF8.self))
            }
        }
        buffer.removeFirst(lineStart)
        return payloads
    }

    /// The payload of an event the stream ended without a blank line after.
    public mutating func finish() -> [String] {
        var payloads = feed(Array("\n".utf8))
        if !dataLines.isEmpty { payloads.append(dataLines.joined(separator: "\n")) }
        dataLines = []
        return payloads
    }
}
