#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A streaming `multipart/form-data` parser (RFC 7578) that finds boundaries with `memchr` and hands
/// out part bodies as slices of the chunk being parsed: bytes are copied once into a small window,
/// never accumulated. It keeps at most one delimiter's length of a body between chunks.
package struct MultipartStreamParser {
    package enum Event {
        /// A part starts; its header lines as (lower-cased name, value).
        case partStart(headers: [(name: String, value: String)])
        /// Bytes of the current part's body (valid only during the callback).
        case body(UnsafeRawBufferPointer)
        case partEnd
    }

    package struct SyntaxError: Error, Equatable {
        package var reason: String
    }

    private enum State { case preamble, afterDelimiter, headers, body, epilogue }

    static let maxHeaderBytes = 16 << 10

    private let delimiter: [UInt8]  // "\r\n--" + boundary
    private var state = State.preamble
    private var window: [UInt8]
    package private(set) var isComplete = false

    package init(boundary: String) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        window = [0x0D, 0x0A]  // the first delimiter has no CRLF before it: pretend it has
    }

    /// Parses the next chunk of the body, reporting events as they complete.
    package mutating func feed(_ chunk: UnsafeRawBufferPointer, _ handle: (Event) throws -> Void) throws {
        window.append(contentsOf: chunk)
        var start = 0
        defer { window.removeFirst(start) }
        while start < window.count {
            switch state {
            case .preamble:
                guard let found = find(delimiter, from: start) else {
                    start = max(start, window.count - (delimiter.count - 1))  // keep a possible partial delimiter
                    return
                }
                start = found + delimiter.count
                state = .afterDelimiter

            case .afterDelimiter:
                // "--" ends the body; otherwise optional white space, then CRLF, then headers.
                var index = start
                while index < window.count, window[index] == 0x20 || window[index] == 0x09 { index += 1 }
                guard window.count - index >= 2 else { return }
                if window[index] == 0x2D, window[index + 1] == 0x2D {
                    state = .epilogue
                    isComplete = true
                    start = window.count
                } else if window[index] == 0x0D, window[index + 1] == 0x0A {
                    start = index  // the headers section begins with this CRLF
                    state = .headers
                } else {
                    throw SyntaxError(reason: "unexpected bytes after a boundary")
                }

            case .headers:
                // CRLF, header lines each ending in CRLF, then an empty line: the first CRLFCRLF ends them.
                guard let end = find([0x0D, 0x0A, 0x0D, 0x0A], from: start) else {
                    if window.count - start > Self.maxHeaderBytes { throw SyntaxError(reason: "part headers are too long") }
                    return
                }
                let headers = try Self.parseHeaders(window[(start + 2)..<max(end, start + 2)])
                start = end + 4
                state = .body
                try handle(.partStart(headers: headers))

            case .body:
                if let found = find(delimiter, from: start) {
                    if found > start { try emit(start..<found, handle) }
                    try handle(.partEnd)
                    start = found + delimiter.count
                    state = .afterDelimiter
                } else {
                    let safeEnd = window.count - (delimiter.count - 1)
                    if safeEnd > start {
                        try emit(start..<safeEnd, handle)
                        start = safeEnd
                    }
                    return
                }

            case .epilogue:
                start = window.count
            }
        }
    }

    private func emit(_ range: Range<Int>, _ handle: (Event) throws -> Void) throws {
        try window.withUnsafeBytes { bytes in
            try handle(.body(UnsafeRawBufferPointer(rebasing: bytes[range])))
        }
    }

    /// First index of `needle` in the window at or after `start`: `memchr` to the candidates, `memcmp` to confirm.
    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        let last = window.count - needle.count  // the last index a match can start at
        guard last >= start else { return nil }
        return window.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { needleBytes in
                let base = haystack.baseAddress!
                var position = start
                while position <= last {
                    guard let hit = memchr(base + position, Int32(needle[0]), last - position + 1) else { return nil }
                    let offset = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hit, needleBytes.baseAddress!, needle.count) == 0 { return offset }
                    position = offset + 1
                }
                return nil
            }
        }
    }

    private static func parseHeaders(_ bytes: ArraySlice<UInt8>) throws -> [(name: String, value: String)] {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SyntaxError(reason: "part headers are not UTF-8")
        }
        return try text.split(separator: "\r\n", omittingEmptySubsequences: true).map { line in
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw SyntaxError(reason: "malformed part header line")
            }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].drop { $0 == " " || $0 == "\t" }
            return (name, String(value))
        }
    }
}
