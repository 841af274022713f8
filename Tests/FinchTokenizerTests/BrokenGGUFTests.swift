import FinchModels
import Foundation
import Testing

/// A truncated, corrupted or hostile GGUF throws `GGUFError`; the reader never traps.
@Suite("GGUF reader on valid and broken files")
struct BrokenGGUFTests {
    /// Writes GGUF v3 files for tests.
    struct Writer {
        var bytes: [UInt8] = []
        mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes += $0 } }
        mutating func string(_ s: String) { u64(UInt64(s.utf8.count)); bytes += Array(s.utf8) }
        mutating func key(_ k: String, type: UInt32) { string(k); u32(type) }
    }

    /// A small file exercising every metadata type, an array, and two tensors (F32 [4,2], Q8_0 [32]).
    static func sampleFile(version: UInt32 = 3) -> [UInt8] {
        var w = Writer()
        w.u32(0x4655_4747)
        w.u32(version)
        w.u64(2)  // tensors
        w.u64(15)  // key/values
        w.key("u8", type: 0); w.bytes.append(200)
        w.key("i8", type: 1); w.bytes.append(0xFF)
        w.key("u16", type: 2); w.bytes += [0x34, 0x12]
        w.key("i16", type: 3); w.bytes += [0xFE, 0xFF]
        w.key("u32", type: 4); w.u32(70000)
        w.key("i32", type: 5); w.u32(UInt32(bitPattern: -7))
        w.key("f32", type: 6); w.u32(Float(1.5).bitPattern)
        w.key("bool", type: 7); w.bytes.append(1)
        w.key("general.architecture", type: 8); w.string("llama")
        w.key("u64", type: 10); w.u64(1 << 40)
        w.key("i64", type: 11); w.u64(UInt64(bitPattern: -9))
        w.key("f64", type: 12); w.u64(Double(2.25).bitPattern)
        w.key("strings", type: 9); w.u32(8); w.u64(2); w.string("a"); w.string("ü")
        w.key("nested", type: 9); w.u32(9); w.u64(1); w.u32(5); w.u64(2); w.u32(1); w.u32(2)
        w.key("general.alignment", type: 4); w.u32(32)
        w.string("a.weight"); w.u32(2); w.u64(4); w.u64(2); w.u32(0); w.u64(0)
        w.string("b.weight"); w.u32(1); w.u64(32); w.u32(8); w.u64(32)
        while w.bytes.count % 32 != 0 { w.bytes.append(0) }
        for i in 0..<8 { w.u32(Float(i).bitPattern) }  // a.weight: 32 bytes
        w.bytes += [UInt8](repeating: 7, count: 34)  // b.weight: one Q8_0 block
        return w.bytes
    }

    @Test("a well-formed file parses: every value type, arrays, tensors and their bytes")
    func parsesSample() throws {
        let file = try GGUFFile(data: Data(Self.sampleFile()))
        let m = file.metadata
        #expect(file.version == 3)
        #expect(m.count == 15)
        #expect(m["u8"] == .uint8(200))
        #expect(m["i8"] == .int8(-1))
        #expect(m.int("u16") == 0x1234)
        #expect(m.int("i16") == -2)
        #expect(m.int("u32") == 70000)
        #expect(m.int("i32") == -7)
        #expect(m.double("f32") == 1.5)
        #expect(m.bool("bool") == true)
        #expect(m.int("u64") == 1 << 40)
        #expect(m.int("i64") == -9)
        #expect(m.double("f64") == 2.25)
        #expect(m.stringArray("strings") == ["a", "ü"])
        #expect(m["nested"] == .array([.array([.int32(1), .int32(2)])]))
        #expect(file.architecture == "llama")
        #expect(file.tensors.map(\.name) == ["a.weight", "b.weight"])
        let a = try #require(file.tensor(named: "a.weight"))
        #expect(a.dimensions == [4, 2] && a.shape == [2, 4] && a.byteCount == 32 && a.elementCount == 8)
        let floats = file.withTensorBytes(a) { raw in (0..<8).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        #expect(floats == [0, 1, 2, 3, 4, 5, 6, 7])
        let b = try #require(file.tensor(named: "b.weight"))
        #expect(b.type == .q8_0 && b.byteCount == 34 && b.relativeOffset == 32)
        #expect(file.tensorData(b) == Data(repeating: 7, count: 34))
        #expect(throws: GGUFError.tensorNotFound("c")) { try file.withTensorBytes(named: "c") { _ in 0 } }
    }

    @Test("every truncation of a valid file throws")
    func truncations() {
        let bytes = Self.sampleFile()
        for length in 0..<bytes.count {
            #expect(throws: GGUFError.self) { try GGUFFile(data: Data(bytes[..<length])) }
        }
    }

    @Test("random corruption never traps")
    func corruption() {
        let bytes = Self.sampleFile()
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var copy = bytes
            for _ in 0..<3 { copy[Int.random(in: 0..<copy.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            _ = try? GGUFFile(data: Data(copy))
        }
    }

    @Test("wrong magic, versions and hostile counts give specific errors")
    func specificErrors() {
        var bytes = Self.sampleFile()
        bytes[0] = 0x00
        #expect(throws: GGUFError.badMagic) { try GGUFFile(data: Data(bytes)) }
        #expect(throws: GGUFError.unsupportedVersion(1)) { try GGUFFile(data: Data(Self.sampleFile(version: 1))) }
        #expect(throws: GGUFError.unsupportedVersion(0x0300_0000)) {
            try GGUFFile(data: Data(Self.sampleFile(version: 0x0300_0000)))  // a big-endian file
        }
        var w = Writer()
        w.u32(0x4655_4747); w.u32(3); w.u64(0); w.u64(UInt64.max)
        #expect(throws: GGUFError.self) { try GGUFFile(data: Data(w.bytes)) }
        var huge = Writer()
        huge.u32(0x4655_4747); huge.u32(3); huge.u64(0); huge.u64(1)
        huge.key("tokens", type: 9); huge.u32(8); huge.u64(1 << 60)
        #expect(throws: GGUFError.self) { try GGUFFile(data: Data(huge.bytes)) }
        var badType = Writer()
        badType.u32(0x4655_4747); badType.u32(3); badType.u64(0); badType.u64(1)
        badType.key("x", type: 99); badType.u32(0)
        #expect(throws: GGUFError.malformed("metadata 'x' has unknown value type 99")) { try GGUFFile(data: Data(badType.bytes)) }
        #expect(throws: GGUFError.self) { try GGUFFile(data: Data()) }
    }

    @Test("a tensor pointing past the end of the file is rejected")
    func tensorOutOfBounds() {
        var bytes = Self.sampleFile()
        bytes.removeLast(10)
        #expect(throws: GGUFError.self) { try GGUFFile(data: Data(bytes)) }
    }

    @Test("missing files and missing tokenizer metadata are clear errors")
    func missingThings() throws {
        #expect(throws: GGUFError.self) { try GGUFFile(url: URL(fileURLWithPath: "/nonexistent.gguf")) }
        let file = try GGUFFile(data: Data(Self.sampleFile()))
        #expect(throws: GGUFError.missingMetadata(key: "tokenizer.ggml.model", expected: "a string")) {
            try GGUFTokenizerImport(file)
        }
    }
}
