import Foundation

/// One tensor of a GGUF file being written: its ggml dimensions (fastest-varying first, the
/// reverse of the PyTorch shape), element type, and a closure that encodes its bytes when needed.
struct GGUFTensorToWrite {
    var name: String
    var dimensions: [Int]
    var type: GGMLType
    var byteCount: Int
    var encode: () throws -> Data
}

/// Writes GGUF v3 (the inverse of `GGUFFile`'s parser): magic, version, counts, metadata key/values,
/// tensor infos, then each tensor's data at an offset aligned to `alignment` (32 unless
/// `general.alignment` says otherwise). Tensor data is encoded one tensor at a time.
enum GGUFWriter {
    static func write(metadata: [(String, GGUFValue)], tensors: [GGUFTensorToWrite], alignment: Int = 32,
                      to path: String) throws {
        let out = try ExportFileWriter(path: path)
        try out.write(UInt32(0x4655_4747))  // "GGUF"
        try out.write(UInt32(3))
        try out.write(UInt64(tensors.count))
        try out.write(UInt64(metadata.count))
        for (key, value) in metadata {
            try writeString(key, out)
            try out.write(typeID(value))
            try writeValue(value, out)
        }
        var offset = 0
        for t in tensors {
            try writeString(t.name, out)
            try out.write(UInt32(t.dimensions.count))
            for d in t.dimensions { try out.write(UInt64(d)) }
            try out.write(t.type.rawValue)
            try out.write(UInt64(offset))
            offset = (offset + t.byteCount + alignment - 1) / alignment * alignment
        }
        try out.pad(to: alignment)
        for t in tensors {
            let data = try t.encode()
            guard data.count == t.byteCount else {
                throw ExportError.invalidModel("tensor \(t.name) encoded to \(data.count) bytes, expected \(t.byteCount)")
            }
            try out.write(data)
            try out.pad(to: alignment)
        }
        try out.finish()
    }

    private static func writeString(_ s: String, _ out: ExportFileWriter) throws {
        let bytes = Data(s.utf8)
        try out.write(UInt64(bytes.count))
        try out.write(bytes)
    }

    /// `gguf_type` ids (uint8 = 0 … float64 = 12).
    private static func typeID(_ v: GGUFValue) -> UInt32 {
        switch v {
        case .uint8: 0
        case .int8: 1
        case .uint16: 2
        case .int16: 3
        case .uint32: 4
        case .int32: 5
        case .float32: 6
        case .bool: 7
        case .string: 8
        case .array: 9
        case .uint64: 10
        case .int64: 11
        case .float64: 12
        }
    }

    private static func writeValue(_ v: GGUFValue, _ out: ExportFileWriter) throws {
        switch v {
        case .uint8(let x): try out.write(x)
        case .int8(let x): try out.write(x)
        case .uint16(let x): try out.write(x)
        case .int16(let x): try out.write(x)
        case .uint32(let x): try out.write(x)
        case .int32(let x): try out.write(x)
        case .uint64(let x): try out.write(x)
        case .int64(let x): try out.write(x)
        case .float32(let x): try out.write(x.bitPattern)
        case .float64(let x): try out.write(x.bitPattern)
        case .bool(let x): try out.write(UInt8(x ? 1 : 0))
        case .string(let s): try writeString(s, out)
        case .array(let items):
            // GGUF arrays are homogeneous; an empty one is written as an empty string array.
            try out.write(items.first.map(typeID) ?? 8)
            try out.write(UInt64(items.count))
            for item in items { try writeValue(item, out) }
        }
    }
}
