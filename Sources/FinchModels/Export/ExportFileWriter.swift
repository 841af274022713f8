import Foundation

/// Appends bytes to a new file through a bounded buffer, so exporting a model never holds a second
/// copy of its weights in memory. `finish` fsyncs; anything thrown is an `ExportError.io`.
final class ExportFileWriter {
    let path: String
    private let handle: FileHandle
    private var buffer = Data()
    private let flushAt = 4 << 20
    /// Bytes written so far (buffered or on disk).
    private(set) var offset = 0

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw ExportError.io(path: path, reason: "cannot create the file")
        }
        self.path = path
        self.handle = handle
        buffer.reserveCapacity(flushAt)
    }

    deinit { try? handle.close() }

    func write(_ data: Data) throws {
        buffer.append(data)
        offset += data.count
        if buffer.count >= flushAt { try flush() }
    }

    func write(_ raw: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: raw)
        offset += raw.count
        if buffer.count >= flushAt { try flush() }
    }

    func write<T: FixedWidthInteger>(_ value: T) throws {
        try withUnsafeBytes(of: value.littleEndian) { try write($0) }
    }

    /// Zero bytes up to the next multiple of `alignment`.
    func pad(to alignment: Int) throws {
        let rest = offset % alignment
        if rest != 0 { try write(Data(count: alignment - rest)) }
    }

    func finish() throws {
        try flush()
        do {
            try handle.synchronize()
            try handle.close()
        } catch {
            throw ExportError.io(path: path, reason: "\(error)")
        }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        do { try handle.write(contentsOf: buffer) } catch { throw ExportError.io(path: path, reason: "\(error)") }
        buffer.removeAll(keepingCapacity: true)
    }
}

/// Output placement: everything is built under a hidden temp name beside the destination and
/// renamed into place at the end, so no reader ever sees a partial export.
enum ExportOutput {
    /// Writes one file through `body` (given the temp path), then renames it to `destination`.
    static func writeFile(_ destination: URL, _ body: (String) throws -> Void) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: destination.path) else { throw ExportError.outputExists(destination.path) }
        let tmp = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(UUID().uuidString)").path
        do {
            try body(tmp)
            try fm.moveItem(atPath: tmp, toPath: destination.path)
        } catch {
            try? fm.removeItem(atPath: tmp)
            throw wrapped(error, destination.path)
        }
    }

    /// Builds a directory through `body`, then renames it to `destination`.
    static func writeDirectory(_ destination: URL, _ body: (URL) throws -> Void) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: destination.path) else { throw ExportError.outputExists(destination.path) }
        let tmp = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(UUID().uuidString)")
        do {
            try fm.createDirectory(at: tmp, withIntermediateDirectories: true)
            try body(tmp)
            try fm.moveItem(at: tmp, to: destination)
        } catch {
            try? fm.removeItem(at: tmp)
            throw wrapped(error, destination.path)
        }
    }

    private static func wrapped(_ error: Error, _ path: String) -> Error {
        if error is ExportError { return error }
        if let e = error as? ModelError { return ExportError.invalidModel(e.description) }
        return ExportError.io(path: path, reason: "\(error)")
    }
}
