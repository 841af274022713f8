import FinchTensor
import Foundation

/// Narrowing fp32 weights for export: F16 and BF16 (round to nearest even, as PyTorch's `.to()`)
/// and ggml's Q8_0 blocks (`quantize_row_q8_0_ref`: per 32 values an f16 scale d = max|x| / 127 and
/// 32 int8 q = round(x / d), ties away from zero).
public enum ExportEncoding {
    /// The bytes of `t` stored as `dtype` (row-major, little-endian).
    public static func encode(_ t: Tensor, as dtype: ExportDType) -> Data {
        let n = t.count, src = t.ptr
        switch dtype {
        case .f32:
            return Data(bytes: src, count: n * 4)
        case .f16:
            var out = Data(count: n * 2)
            out.withUnsafeMutableBytes { raw in
                let dst = raw.bindMemory(to: UInt16.self).baseAddress!
                parallelFor(n, minChunk: 1 << 16) { r in for i in r { dst[i] = Float16(src[i]).bitPattern.littleEndian } }
            }
            return out
        case .bf16:
            var out = Data(count: n * 2)
            out.withUnsafeMutableBytes { raw in
                let dst = raw.bindMemory(to: UInt16.self).baseAddress!
                parallelFor(n, minChunk: 1 << 16) { r in for i in r { dst[i] = bfloat16Bits(src[i]).littleEndian } }
            }
            return out
        case .q8_0:
            precondition(n % 32 == 0, "Q8_0 needs a multiple of 32 values; the caller checks the row length")
            let blocks = n / 32
            var out = Data(count: blocks * 34)
            out.withUnsafeMutableBytes { raw in
                let dst = raw.baseAddress!
                parallelFor(blocks, minChunk: 1024) { r in
                    for b in r { quantizeQ8_0Block(src + b * 32, into: dst + b * 34) }
                }
            }
            return out
        }
    }

    /// One Q8_0 block: f16 d, then 32 int8.
    static func quantizeQ8_0Block(_ x: UnsafePointer<Float>, into blk: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for j in 0..<32 { amax = max(amax, abs(x[j])) }
        let d = amax / 127
        let id: Float = d != 0 ? 1 / d : 0
        blk.storeBytes(of: Float16(d).bitPattern.littleEndian, as: UInt16.self)
        let qs = (blk + 2).assumingMemoryBound(to: Int8.self)
        for j in 0..<32 { qs[j] = Int8(clamping: Int((x[j] * id).rounded())) }
    }

    /// BF16 bits of `x`, rounded to nearest even; NaN stays a (quiet) NaN.
    @inline(__always) static func bfloat16Bits(_ x: Float) -> UInt16 {
        if x.isNaN { return 0x7FC0 }
        let bits = x.bitPattern
        let rounding = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ rounding) >> 16)
    }
}
