import FinchModels
import FinchTensor
import Foundation
import Testing

@Suite("Export encodings")
struct ExportEncodingTests {
    /// Values with a wide spread of magnitudes, some exact ties for Q8_0 rounding, and zeros.
    func sample(_ n: Int) -> Tensor {
        var seed: UInt64 = 42
        return Tensor(shape: [n / 64, 64], values: (0..<n).map { i in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            if i % 97 == 0 { return 0 }
            return (Float(seed >> 40) / Float(1 << 24) - 0.5) * Float(1 + i % 7)
        })
    }

    @Test("Q8_0 blocks decode through the GGUF importer's dequantizer to within half a step of the input")
    func q8RoundTrip() throws {
        let t = sample(64 * 8)
        let data = ExportEncoding.encode(t, as: .q8_0)
        #expect(data.count == t.count / 32 * 34)
        let back = Tensor(shape: t.shape)
        try data.withUnsafeBytes { raw in
            try GGUFDequantize.dequantize(type: .q8_0, raw: raw, count: t.count, into: back.ptr, name: "t")
        }
        for b in 0..<(t.count / 32) {
            var amax: Float = 0
            for j in 0..<32 { amax = max(amax, abs(t[flat: b * 32 + j])) }
            // d is stored as f16, so allow its rounding on top of half a quantization step.
            let step = amax / 127
            for j in 0..<32 {
                let i = b * 32 + j
                #expect(abs(back[flat: i] - t[flat: i]) <= step * 0.5 + amax * 1e-3 + 1e-7)
            }
        }
        // An all-zero block stays exactly zero (scale 0, no division by zero).
        let zeros = ExportEncoding.encode(Tensor(shape: [32]), as: .q8_0)
        #expect(zeros == Data(count: 34))
    }

    @Test("F16 and BF16 round to nearest even and decode back within their precision")
    func halfPrecision() throws {
        let t = Tensor(shape: [4], values: [1, 1.00390625, -3.1415927, 65504])
        let bf16 = ExportEncoding.encode(t, as: .bf16)
        let bits = bf16.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }
        // 1.00390625 = 1 + 2^-8 lies exactly between two bf16 values; the even one is 1.0 (0x3F80).
        #expect(bits[0] == 0x3F80 && bits[1] == 0x3F80)
        #expect(Float(bitPattern: UInt32(bits[2]) << 16) == -3.140625)
        let f16 = ExportEncoding.encode(t, as: .f16)
        let halves = f16.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }.map { Float(Float16(bitPattern: $0)) }
        #expect(halves[0] == 1 && halves[1] == 1.00390625 && halves[3] == 65504)
        #expect(abs(halves[2] + 3.1415927) < 1e-3)
    }
}
