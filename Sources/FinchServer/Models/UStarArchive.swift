import Foundation

/// An uncompressed POSIX ustar archive of one directory, produced as a stream: a 512-byte header
/// per entry, the file's bytes padded to 512, and two zero blocks at the end. Sizes of 8 GiB and
/// more use the GNU base-256 size field, which tar, Python's tarfile and libarchive all read.
struct UStarArchive {
    struct Entry {
        var name: String
        var path: String?
        var size: Int
    }

    /// `root/` and then `root/FILE` for each regular file of `directory` (names sorted).
    let entries: [Entry]

    init(directory: URL, root: String) throws {
        let fm = FileManager.default
        var entries = [Entry(name: root + "/", path: nil, size: 0)]
        for file in try fm.contentsOfDirectory(atPath: directory.path).sorted() where !file.hasPrefix(".") {
            let path = directory.appendingPathComponent(file).path
            let size = (try fm.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
            entries.append(Entry(name: root + "/" + file, path: path, size: size))
        }
        self.entries = entries
    }

    /// The archive's size in bytes (for Content-Length).
    var byteCount: Int {
        entries.reduce(1024) { $0 + 512 + ($1.size + 511) / 512 * 512 }
    }

    /// Calls `emit` with the archive in pieces of at most `chunkSize` bytes, reading files as it goes.
    func stream(chunkSize: Int = 1 << 20, _ emit: (Data) async throws -> Void) async throws {
        for entry in entries {
            try await emit(Self.header(entry))
            guard let path = entry.path else { continue }
            try await FileChunks.stream(path, length: entry.size, chunkSize: chunkSize, emit)
            let pad = (512 - entry.size % 512) % 512
            if pad > 0 { try await emit(Data(count: pad)) }
        }
        try await emit(Data(count: 1024))
    }

    /// One ustar header block.
    static func header(_ entry: Entry) -> Data {
        var h = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int, width: Int) {
            for (i, byte) in text.utf8.prefix(width).enumerated() { h[offset + i] = byte }
        }
        func octal(_ value: Int, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8),
                at: offset, width: width - 1)
        }
        // Names longer than 100 bytes go to the 155-byte prefix, split at a '/'.
        var name = entry.name, prefix = ""
        if name.utf8.count > 100, let cut = name.firstIndex(of: "/") {
            prefix = String(name[..<cut])
            name = String(name[name.index(after: cut)...])
        }
        put(name, at: 0, width: 100)
        octal(entry.path == nil ? 0o755 : 0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        if entry.size < 0o77777777777 {
            octal(entry.size, at: 124, width: 12)
        } else {
            h[124] = 0x80
            for i in 0..<8 { h[135 - i] = UInt8(truncatingIfNeeded: entry.size >> (8 * i)) }
        }
        octal(Int(Date().timeIntervalSince1970), at: 136, width: 12)
        h[156] = entry.path == nil ? UInt8(ascii: "5") : UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put("finch", at: 265, width: 32)
        put("finch", at: 297, width: 32)
        put(prefix, at: 345, width: 155)
        for i in 148..<156 { h[i] = UInt8(ascii: " ") }
        let sum = h.reduce(0) { $0 + Int($1) }
        octal(sum, at: 148, width: 7)  // six digits, NUL, space
        h[154] = 0
        h[155] = UInt8(ascii: " ")
        return Data(h)
    }
}
