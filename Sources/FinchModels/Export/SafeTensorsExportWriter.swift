import FinchTensor
import Foundation

/// Writes a safetensors file in F32, F16 or BF16, one tensor at a time through a bounded buffer (`SafeTensors.write`,
/// used for checkpoints, keeps F32 only); the header is `SafeTensors.header`'s.
enum SafeTensorsExportWriter {
    static func write(_ tensors: [String: Tensor], dtype: ExportDType, metadata: [String: String], to path: String) throws {
        let (tag, size): (String, Int) = switch dtype {
        case .f32: ("F32", 4)
        case .f16: ("F16", 2)
        case .bf16: ("BF16", 2)
        case .q8_0: ("", 0)
        }
        guard size > 0 else { throw ExportError.unsupportedDType(format: .safetensors, dtype: dtype) }
        let (names, json) = try SafeTensors.header(tensors, dtype: tag, bytesPerElement: size, metadata: metadata)
        let out = try ExportFileWriter(path: path)
        try out.write(UInt64(json.count))
        try out.write(json)
        for name in names { try out.write(ExportEncoding.encode(tensors[name]!, as: dtype)) }
        try out.finish()
    }
}
