import FinchTensor

/// Dequantization of GGUF tensor data to fp32, following ggml's block layouts
/// (ggml-quants: `block_q4_0`, `block_q4_1`, `block_q8_0`). Each block holds 32 values:
///   Q4_0: f16 d, 16 bytes of nibbles;          y = (q - 8) * d
///   Q4_1: f16 d, f16 m, 16 bytes of nibbles;   y = q * d + m
///   Q8_0: f16 d, 32 int8;                      y = q * d
/// Low nibbles hold elements 0..<16 of a block, high nibbles 16..<32.
/// `d * q + m` is rounded twice (no fused multiply-add), as ggml and gguf-py compute it.
public enum GGUFDequantize {
    public static let supported: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

    /// Writes `count` fp32 values decoded from `raw` (of GGML `type`) into `out`.
    public static func dequantize(
        type: GGMLType, raw: UnsafeRawBufferPointer, count: Int, into out: UnsafeMutablePointer<Float>, name: String
    ) throws {
        guard let bs = type.blockSize, let bpb = type.bytesPerBlock, supported.contains(type) else {
            throw ModelError.unsupportedQuantization(tensor: name, type: type.name)
        }
        guard count % bs == 0, raw.count >= count / bs * bpb, let src = raw.baseAddress else {
            if count == 0 { return }
            throw ModelError.invalidGGUF("tensor '\(name)' has \(raw.count) bytes, too few for \(count) \(type.name) values")
        }
        let blocks = count / bs
        func f16(_ p: UnsafeRawPointer) -> Float { Float(Float16(bitPattern: p.loadUnaligned(as: UInt16.self))) }
        switch type {
        case .f32:
            UnsafeMutableRawPointer(out).copyMemory(from: src, byteCount: count * 4)
        case .f16:
            parallelFor(count, minChunk: 1 << 16) { r in for i in r { out[i] = f16(src + 2 * i) } }
        case .bf16:
            parallelFor(count, minChunk: 1 << 16) { r in
                for i in r { out[i] = Float(bitPattern: UInt32(src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
            }
        case .q8_0:
            parallelFor(blocks, minChunk: 1024) { r in
                for b in r {
                    let blk = src + b * 34
                    let d = f16(blk)
                    let qs = (blk + 2).assumingMemoryBound(to: Int8.self)
                    for j in 0..<32 { out[b * 32 + j] = Float(qs[j]) * d }
                }
            }
        case .q4_0:
            parallelFor(blocks, minChunk: 1024) { r in
                for b in r {
                    let blk = src + b * 18
                    let d = f16(blk)
                    let qs = (blk + 2).assumingMemoryBound(to: UInt8.self)
                    let y = out + b * 32
                    for j in 0..<16 {
                        y[j] = Float(Int(qs[j] & 0x0F) - 8) * d
                        y[j + 16] = Float(Int(qs[j] >> 4) - 8) * d
                    }
                }
            }
        case .q4_1:
            parallelFor(blocks, minChunk: 1024) { r in
                for b in r {
                    let blk = src + b * 20
                    let d = f16(blk), m = f16(blk + 2)
                    let qs = (blk + 4).assumingMemoryBound(to: UInt8.self)
                    let y = out + b * 32
                    for j in 0..<16 {
                        let lo = Float(qs[j] & 0x0F) * d
                        let hi = Float(qs[j] >> 4) * d
                        y[j] = lo + m
                        y[j + 16] = hi + m
                    }
                }
            }
        default:
            throw ModelError.unsupportedQuantization(tensor: name, type: type.name)
        }
    }

    /// Undoes llama.cpp's q/k row permutation (convert_hf_to_gguf `permute`), which reorders each
    /// head's rows from HF's rotate-half layout (a, b) to interleaved pairs (b, a).
    /// w: (heads * hd, cols) in GGUF order -> HF order, where HF row h*hd + a*hd/2 + b = GGUF row h*hd + 2b + a.
    public static func unpermuteQK(_ w: Tensor, heads: Int) throws -> Tensor {
        let rows = w.shape[0], cols = w.count / max(rows, 1)
        guard heads > 0, rows % heads == 0, (rows / heads) % 2 == 0 else {
            throw ModelError.invalidGGUF("q/k weight with \(rows) rows does not split into \(heads) heads")
        }
        let hd = rows / heads, half = hd / 2
        let out = Tensor(shape: w.shape)
        for h in 0..<heads {
            for a in 0..<2 {
                for b in 0..<half {
                    (out.ptr + (h * hd + a * half + b) * cols).update(from: w.ptr + (h * hd + 2 * b + a) * cols, count: cols)
                }
            }
        }
        return out
    }
}
