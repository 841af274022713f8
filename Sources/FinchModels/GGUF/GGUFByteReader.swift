/// A little-endian cursor over the bytes of a GGUF file. Every read is bounds-checked and throws
/// `GGUFError.truncated` instead of reading past the end.
struct GGUFByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    /// Throws unless `count` more bytes are available.
    func require(_ count: Int, _ what: @autoclosure () -> String) throws {
        if count < 0 || count > remaining { throw GGUFError.truncated(what: what(), offset: offset) }
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T {
        try require(MemoryLayout<T>.size, what())
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    /// A count stored as u64, checked to fit an `Int` and to be plausible given that each element
    /// needs at least `minElementSize` bytes in the rest of the file (so a hostile count cannot make
    /// us reserve terabytes).
    mutating func readCount(_ what: @autoclosure () -> String, minElementSize: Int) throws -> Int {
        let start = offset
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(Int.max / max(minElementSize, 1)) else {
            throw GGUFError.malformed("\(what()) at byte \(start) is \(raw), far larger than the file")
        }
        let count = Int(raw)
        if count * minElementSize > remaining {
            throw GGUFError.truncated(what: "\(what()) (\(count) elements)", offset: start)
        }
        return count
    }

    /// A GGUF string: u64 byte length, then UTF-8 bytes (invalid UTF-8 is repaired, not trapped on).
    mutating func readString(_ what: @autoclosure () -> String) throws -> String {
        let length = try readCount("length of \(what())", minElementSize: 1)
        let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + length)])
        offset += length
        return String(decoding: slice, as: UTF8.self)
    }

    mutating func skip(to newOffset: Int, _ what: @autoclosure () -> String) throws {
        guard newOffset >= offset, newOffset <= bytes.count else {
            throw GGUFError.truncated(what: what(), offset: offset)
        }
        offset = newOffset
    }
}
