import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An I/O failure of the blob store, with the path and the system's reason.
public struct BlobError: Error, Sendable, CustomStringConvertible {
    public var description: String

    static func posix(_ what: String, _ path: String) -> BlobError {
        BlobError(description: "\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

/// Blobs in a local directory (DESIGN §5): `files/<file-id>` and `uploads/<upload-id>/<part-id>`.
///
/// Every blob is written under `tmp/`, fsynced, then renamed into place, so no reader ever sees a
/// partial file; whatever is left in `tmp/` by a crash is removed when the store opens.
public final class LocalBlobStore: Sendable {
    public let root: String
    var filesDirectory: String { root + "/files" }
    var uploadsDirectory: String { root + "/uploads" }
    var temporaryDirectory: String { root + "/tmp" }

    public init(root: String) throws {
        self.root = root
        let manager = FileManager.default
        for directory in [root, root + "/files", root + "/uploads", root + "/tmp"] {
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw BlobError(description: "cannot create \(directory): \(error.localizedDescription)")
            }
        }
        for leftover in (try? manager.contentsOfDirectory(atPath: temporaryDirectory)) ?? [] {
            try? manager.removeItem(atPath: temporaryDirectory + "/" + leftover)
        }
    }

    /// A writer to a fresh temporary blob; `commit(to:)` moves it into place.
    public func makeWriter() throws -> BlobWriter {
        try BlobWriter(temporaryPath: temporaryDirectory + "/" + UUID().uuidString)
    }

    public func path(forFile id: String) -> String { filesDirectory + "/" + Self.safeName(id) }

    public func directory(forUpload uploadID: String) -> String { uploadsDirectory + "/" + Self.safeName(uploadID) }

    public func path(forPart partID: String, of uploadID: String) -> String {
        directory(forUpload: uploadID) + "/" + Self.safeName(partID)
    }

    /// Creates the directory that holds an upload's parts.
    public func prepareUpload(_ uploadID: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory(forUpload: uploadID), withIntermediateDirectories: true)
        } catch {
            throw BlobError(description: "cannot create the upload directory: \(error.localizedDescription)")
        }
    }

    public func removeFile(id: String) { try? FileManager.default.removeItem(atPath: path(forFile: id)) }

    public func removeUpload(_ uploadID: String) { try? FileManager.default.removeItem(atPath: directory(forUpload: uploadID)) }

    public func fileExists(id: String) -> Bool { FileManager.default.fileExists(atPath: path(forFile: id)) }

    /// Names of the blobs under `files/` and `uploads/` (to remove orphans whose row is gone).
    public func storedFileIDs() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: filesDirectory)) ?? [] }
    public func storedUploadIDs() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: uploadsDirectory)) ?? [] }

    /// Ids are ours (`file-…`), but a path component is never trusted: anything but [A-Za-z0-9_-] is replaced.
    static func safeName(_ id: String) -> String {
        String(id.unicodeScalars.map { scalar in
            let allowed = (scalar.value < 128) && (CharacterSet.alphanumerics.contains(scalar) || scalar == "-" || scalar == "_")
            return allowed ? Character(scalar) : "_"
        })
    }
}

/// Writes one blob: bytes go to a temporary file; `commit` fsyncs and renames it, `abort` (or deinit
/// without commit) removes it. Used by a single task at a time.
///
/// Writes are gathered in a 1 MiB buffer: a multipart parser hands over many small slices, and one
/// system call per slice would dominate the cost of an upload.
public final class BlobWriter {
    public let temporaryPath: String
    public private(set) var bytesWritten: Int64 = 0
    private var descriptor: Int32
    private var finished = false
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
    private var buffered = 0

    init(temporaryPath: String) throws {
        self.temporaryPath = temporaryPath
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            buffer.deallocate()
            throw BlobError.posix("cannot create", temporaryPath)
        }
    }

    deinit {
        abort()
        buffer.deallocate()
    }

    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "write after commit or abort")
        guard !bytes.isEmpty else { return }
        if buffered + bytes.count > buffer.count { try flush() }
        if bytes.count >= buffer.count {
            try writeThrough(bytes)
        } else {
            UnsafeMutableRawBufferPointer(rebasing: buffer[buffered...]).copyMemory(from: bytes)
            buffered += bytes.count
        }
        bytesWritten += Int64(bytes.count)
    }

    private func flush() throws {
        guard buffered > 0 else { return }
        let pending = UnsafeRawBufferPointer(rebasing: buffer[0..<buffered])
        buffered = 0
        try writeThrough(pending)
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw BlobError.posix("cannot write", temporaryPath)
            }
            offset += written
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the whole file at `path`, calling `observe` on each chunk (e.g. to hash it).
    public func append(contentsOf path: String, observe: (UnsafeRawBufferPointer) -> Void = { _ in }) throws {
        let source = open(path, O_RDONLY | O_CLOEXEC)
        guard source >= 0 else { throw BlobError.posix("cannot open", path) }
        defer { close(source) }
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = read(source, chunk.baseAddress, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw BlobError.posix("cannot read", path)
            }
            if count == 0 { return }
            let filled = UnsafeRawBufferPointer(rebasing: chunk[0..<count])
            observe(filled)
            try write(filled)
        }
    }

    /// Makes the blob durable and visible at `destination` atomically.
    public func commit(to destination: String) throws {
        precondition(!finished, "commit after commit or abort")
        do {
            try flush()
        } catch {
            abort()
            throw error
        }
        guard fsync(descriptor) == 0 else {
            let error = BlobError.posix("cannot fsync", temporaryPath)
            abort()
            throw error
        }
        close(descriptor)
        finished = true
        guard rename(temporaryPath, destination) == 0 else {
            let error = BlobError.posix("cannot rename to", destination)
            unlink(temporaryPath)
            throw error
        }
        let directory = (destination as NSString).deletingLastPathComponent
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Discards the blob. Safe to call more than once.
    public func abort() {
        guard !finished else { return }
        finished = true
        close(descriptor)
        unlink(temporaryPath)
    }
}
