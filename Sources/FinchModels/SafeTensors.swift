import FinchTensor
import Foundation

/// One safetensors file, memory-mapped: an 8-byte little-endian header length, a JSON header
/// `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`, then the data.
public final class SafeTensorsFile: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let dtype: String
        public let shape: [Int]
        /// Byte range inside the data section.
        public let begin: Int
        public let end: Int
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let file: MappedFile
    private let dataStart: Int

    public init(path: String) throws {
        file = try MappedFile(path: path)
        self.path = path
        let bytes = file.bytes
        func bad(_ reason: String) -> ModelError { .invalidSafetensors(path: path, reason: reason) }
        guard bytes.count >= 8 else { throw bad("file is shorter than the 8-byte header length") }
        let n = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard n <= UInt64(bytes.count - 8) else { throw bad("header length \(n) runs past the end of the file") }
        let headerLength = Int(n)
        dataStart = 8 + headerLength
        let header = Data(bytes[8..<dataStart])
        guard let json = try? JSONSerialization.jsonObject(with: header), let dict = json as? [String: Any] else {
            throw bad("header is not a JSON object")
        }
        let dataSize = bytes.count - dataStart
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in dict {
            if name == "__metadata__" {
                if let m = value as? [String: Any] {
                    for (k, v) in m { if let s = v as? String { metadata[k] = s } }
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shapeAny = info["shape"] as? [Any],
                  let offsetsAny = info["data_offsets"] as? [Any], offsetsAny.count == 2
            else { throw bad("entry '\(name)' lacks dtype, shape or data_offsets") }
            let shape = try shapeAny.map { d -> Int in
                guard let i = (d as? NSNumber)?.intValue, i >= 0, i < 1 << 40 else { throw bad("entry '\(name)' has a bad shape") }
                return i
            }
            let offs = try offsetsAny.map { d -> Int in
                guard let i = (d as? NSNumber)?.intValue, i >= 0 else { throw bad("entry '\(name)' has bad data_offsets") }
                return i
            }
            guard offs[0] <= offs[1], offs[1] <= dataSize else {
                throw bad("entry '\(name)' data_offsets \(offs) fall outside the \(dataSize)-byte data section")
            }
            var count = 1
            for d in shape {
                let (m, o) = count.multipliedReportingOverflow(by: d)
                guard !o, m < 1 << 40 else { throw bad("entry '\(name)' shape is too large") }
                count = m
            }
            if let size = Widen.size(of: dtype), count * size != offs[1] - offs[0] {
                throw bad("entry '\(name)' has \(offs[1] - offs[0]) bytes for \(count) \(dtype) elements")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: offs[0], end: offs[1])
        }
        self.entries = entries
        self.metadata = metadata
    }

    public var names: [String] { entries.keys.sorted() }

    /// The tensor `name` as fp32. Aligned F32 data is used in place (the tensor keeps the map
    /// alive); F16/BF16 are widened into new memory.
    public func tensor(_ name: String) throws -> Tensor {
        guard let e = entries[name] else { throw ModelError.missingWeight(name) }
        guard Widen.size(of: e.dtype) != nil else { throw ModelError.unsupportedDType(name: name, dtype: e.dtype) }
        if e.dtype == "F32", e.end > e.begin, let base = file.bytes.baseAddress {
            let p = UnsafeMutableRawPointer(mutating: base + dataStart + e.begin)
            if Int(bitPattern: p) % MemoryLayout<Float>.alignment == 0 {
                let count = (e.end - e.begin) / 4
                let storage = TensorStorage(borrowing: p.assumingMemoryBound(to: Float.self), count: count, owner: file)
                return Tensor(shape: e.shape, storage: storage)
            }
        }
        let t = Tensor(shape: e.shape)
        if let base = file.bytes.baseAddress, e.end > e.begin {
            Widen.copy(dtype: e.dtype, src: base + dataStart + e.begin, dst: t.ptr, n: t.count)
        }
        return t
    }
}

/// Loading every weight of a model directory: `model.safetensors`, or the shards named by
/// `model.safetensors.index.json`, or any `*.safetensors` files present.
public enum SafeTensors {
    public static func loadDirectory(_ dir: URL) throws -> [String: Tensor] {
        let fm = FileManager.default
        let index = dir.appendingPathComponent("model.safetensors.index.json")
        var files: [String] = []
        if fm.fileExists(atPath: index.path) {
            guard let data = fm.contents(atPath: index.path),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = obj["weight_map"] as? [String: Any]
            else { throw ModelError.invalidSafetensors(path: index.path, reason: "no weight_map object") }
            var seen = Set<String>()
            for v in map.values {
                guard let f = v as? String, !f.contains("/"), !f.contains("..") else {
                    throw ModelError.invalidSafetensors(path: index.path, reason: "weight_map holds a bad file name")
                }
                if seen.insert(f).inserted { files.append(f) }
            }
            files.sort()
        } else if fm.fileExists(atPath: dir.appendingPathComponent("model.safetensors").path) {
            files = ["model.safetensors"]
        } else {
            let all = (try? fm.contentsOfDirectory(atPath: dir.path)) ?? []
            files = all.filter { $0.hasSuffix(".safetensors") && !$0.hasPrefix("adapter") }.sorted()
        }
        guard !files.isEmpty else { throw ModelError.fileNotFound(dir.appendingPathComponent("model.safetensors").path) }
        var out: [String: Tensor] = [:]
        for f in files {
            let st = try SafeTensorsFile(path: dir.appendingPathComponent(f).path)
            for name in st.names { out[name] = try st.tensor(name) }
        }
        return out
    }

    /// The names of `tensors` in file order (sorted) and the JSON header for storing them as `dtype` (a safetensors
    /// tag such as "F32") of `bytesPerElement` bytes each, padded so the data starts 8-byte aligned.
    static func header(_ tensors: [String: Tensor], dtype: String, bytesPerElement: Int,
                       metadata: [String: String]) throws -> (names: [String], json: Data) {
        let names = tensors.keys.sorted()
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": dtype, "shape": t.shape, "data_offsets": [offset, offset + t.count * bytesPerElement]]
            offset += t.count * bytesPerElement
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        return (names, json)
    }

    /// Writes `tensors` as one F32 safetensors file (names sorted, data 8-byte aligned).
    public static func write(_ tensors: [String: Tensor], metadata: [String: String] = ["format": "pt"], to url: URL) throws {
        let (names, json) = try header(tensors, dtype: "F32", bytesPerElement: 4, metadata: metadata)
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let fh = FileHandle(forWritingAtPath: url.path)
        else { throw ModelError.io(path: url.path, reason: "cannot create file") }
        defer { try? fh.close() }
        do {
            var n = UInt64(json.count).littleEndian
            try fh.write(contentsOf: Data(bytes: &n, count: 8))
            try fh.write(contentsOf: json)
            for name in names {
                let t = tensors[name]!
                try fh.write(contentsOf: Data(bytesNoCopy: t.ptr, count: t.count * 4, deallocator: .none))
            }
            try fh.synchronize()
        } catch {
            throw ModelError.io(path: url.path, reason: "\(error)")
        }
    }
}
