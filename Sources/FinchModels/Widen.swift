import FinchTensor

/// Element conversions used when loading: everything is widened to fp32 (DESIGN §3).
enum Widen {
    @inline(__always) static func f16(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }
    @inline(__always) static func bf16(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// Copies n little-endian elements of `dtype` at `src` into `dst` as fp32.
    static func copy(dtype: String, src: UnsafeRawPointer, dst: UnsafeMutablePointer<Float>, n: Int) {
        switch dtype {
        case "F32":
            UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)
        case "F16":
            parallelFor(n, minChunk: 1 << 16) { r in
                for i in r { dst[i] = f16(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        case "BF16":
            parallelFor(n, minChunk: 1 << 16) { r in
                for i in r { dst[i] = bf16(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            }
        default:
            preconditionFailure("Widen.copy: dtype \(dtype) must be validated by the caller")
        }
    }

    static func size(of dtype: String) -> Int? {
        switch dtype {
        case "F32": 4
        case "F16", "BF16": 2
        default: nil
        }
    }
}
