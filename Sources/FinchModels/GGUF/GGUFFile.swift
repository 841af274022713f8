import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one tensor's data lives inside a GGUF file.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// The llama.cpp tensor name, e.g. `blk.0.attn_q.weight`.
    public let name: String
    /// ggml dimensions `ne`, fastest-varying first: a PyTorch weight of shape `[out, in]` is `[in, out]` here.
    public let dimensions: [Int]
    public let type: GGMLType
    /// Offset of the data from the start of the data section, as written in the file.
    public let relativeOffset: Int
    /// Offset of the data from the start of the file.
    public let absoluteOffset: Int
    /// Size of the (possibly quantized) data in bytes.
    public let byteCount: Int
    /// Number of logical elements (product of `dimensions`).
    public let elementCount: Int

    /// The dimensions in PyTorch order (slowest-varying first), i.e. `dimensions.reversed()`.
    public var shape: [Int] { dimensions.reversed() }
}

/// A parsed GGUF (v2/v3) file: metadata, tensor infos, and zero-copy access to tensor bytes.
///
/// The file is memory-mapped (read-only) and kept mapped while the `GGUFFile` is alive.
/// Parsing validates every count, string length, tensor extent and alignment, so a truncated or
/// hostile file throws a `GGUFError` rather than trapping.
///
/// ```swift
/// let gguf = try GGUFFile(url: url)
/// let arch = gguf.metadata.string("general.architecture")
/// for t in gguf.tensors { try gguf.withTensorBytes(t) { raw in ... } }
/// ```
public final class GGUFFile: Sendable {
    /// GGUF format version (2 or 3).
    public let version: UInt32
    public let metadata: GGUFMetadata
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// Offset of the tensor data section from the start of the file.
    public let dataOffset: Int
    /// Size of the whole file in bytes.
    public let fileSize: Int

    private let storage: GGUFStorage
    private let tensorIndex: [String: Int]

    /// Maps and parses the file at `url`.
    public convenience init(url: URL) throws {
        try self.init(storage: try GGUFStorage(mapping: url))
    }

    /// Parses an in-memory GGUF image (copied once; handy for tests and small vocab files).
    public convenience init(data: Data) throws {
        try self.init(storage: GGUFStorage(copying: data))
    }

    private init(storage: GGUFStorage) throws {
        let parsed = try GGUFFile.parse(storage.bytes)
        self.storage = storage
        self.version = parsed.version
        self.metadata = parsed.metadata
        self.tensors = parsed.tensors
        self.alignment = parsed.alignment
        self.dataOffset = parsed.dataOffset
        self.fileSize = storage.bytes.count
        var index: [String: Int] = [:]
        for (i, t) in parsed.tensors.enumerated() { index[t.name] = i }
        self.tensorIndex = index
    }

    /// `general.architecture` (e.g. `llama`, `qwen2`), if present.
    public var architecture: String? { metadata.string("general.architecture") }

    /// The tensor info named `name`, or `nil`.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        tensorIndex[name].map { tensors[$0] }
    }

    /// Calls `body` with the raw (possibly quantized) bytes of `tensor`, without copying.
    /// The buffer is only valid inside `body`.
    public func withTensorBytes<R>(_ tensor: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        precondition(tensor.absoluteOffset + tensor.byteCount <= storage.bytes.count, "tensor info from another file")
        let slice = UnsafeRawBufferPointer(rebasing: storage.bytes[tensor.absoluteOffset..<(tensor.absoluteOffset + tensor.byteCount)])
        return try body(slice)
    }

    /// Calls `body` with the raw bytes of the tensor named `name`; throws `GGUFError.tensorNotFound`.
    public func withTensorBytes<R>(named name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard let info = tensor(named: name) else { throw GGUFError.tensorNotFound(name) }
        return try withTensorBytes(info, body)
    }

    /// A copy of the raw bytes of `tensor`.
    public func tensorData(_ tensor: GGUFTensorInfo) -> Data {
        withTensorBytes(tensor) { Data($0) }
    }
}

/// Owns the bytes of a GGUF file: an mmap'ed region or a heap copy. Immutable after init.
final class GGUFStorage: @unchecked Sendable {
    let bytes: UnsafeRawBufferPointer
    private let isMapped: Bool

    init(mapping url: URL) throws {
        let path = url.path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw GGUFError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw GGUFError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(info.st_size)
        guard size > 0 else { throw GGUFError.truncated(what: "magic (file is empty)", offset: 0) }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw GGUFError.cannotOpen(path: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
        isMapped = true
    }

    init(copying data: Data) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(data.count, 1), alignment: 64)
        data.withUnsafeBytes { src in
            if let base = src.baseAddress, src.count > 0 { buffer.baseAddress!.copyMemory(from: base, byteCount: src.count) }
        }
        bytes = UnsafeRawBufferPointer(start: buffer.baseAddress, count: data.count)
        isMapped = false
    }

    deinit {
        if isMapped {
            munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count)
        } else {
            UnsafeMutableRawPointer(mutating: bytes.baseAddress)?.deallocate()
        }
    }
}
