import Foundation

/// Reading a file into a response in bounded pieces (model exports: the GGUF file, the files of a tar archive).
enum FileChunks {
    /// Calls `emit` with the first `length` bytes of the file at `path`, at most `chunkSize` at a time. A file
    /// shorter than `length` (changed since it was measured) is an error: the response promised that length.
    static func stream(_ path: String, length: Int, chunkSize: Int = 1 << 20, _ emit: (Data) async throws -> Void) async throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var remaining = length
        while remaining > 0 {
            let chunk = try handle.read(upToCount: min(chunkSize, remaining)) ?? Data()
            guard !chunk.isEmpty else { throw CocoaError(.fileReadCorruptFile, userInfo: [NSFilePathErrorKey: path]) }
            remaining -= chunk.count
            try await emit(chunk)
        }
    }
}
