import FinchTensor
import Foundation

/// Writes a safetensors file in F32, F16 or BF16, one tensor at a time (the existing
/// `SafeTensors.write` keeps F32 only). Names sorted, data 8-byte aligned as the format asks.
enum SafeTensorsExportWriter {
    static func write(_ tensors: [String: Tensor], dtype: ExportDType, metadata: [String: String], to path: String) throws {
        let (tag, size): (String, Int) = switch dtype {
        case .f32: ("F32", 4)
        case .f16: ("F16", 2)
        case .bf16: ("BF16", 2)
        case .q8_0: ("", 0)
        }
        guard size > 0 else { throw ExportError.unsupportedDType(format: .safetensors, dtype: dtype) }
        let names = tensors.keys.sorted()
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": tag, "shape": t.shape, "data_offsets": [offset, offset + t.count * size]]
            offset += t.count * size
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        let out = try ExportFileWriter(path: path)
        try out.write(UInt64(json.count))
        try out.write(json)
        for name in names { try out.write(ExportEncoding.encode(tensors[name]!, as: dtype)) }
        try out.finish()
    }
}
