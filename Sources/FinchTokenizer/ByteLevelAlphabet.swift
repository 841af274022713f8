/// GPT-2's reversible byte ↔ printable-character map used by byte-level BPE: the 188 printable
/// Latin-1 bytes map to themselves, the other 68 bytes to U+0100... in order (space becomes `Ġ`).
public enum ByteLevelAlphabet {
    /// `scalar(for: byte)` for each of the 256 byte values.
    public static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            let printable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if printable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The inverse map, indexed by scalar value (0..<324); `nil` for scalars outside the alphabet.
    public static let scalarToByte: [UInt8?] = {
        var table = [UInt8?](repeating: nil, count: 324)
        for (byte, scalar) in byteToScalar.enumerated() { table[Int(scalar.value)] = UInt8(byte) }
        return table
    }()

    /// Maps UTF-8 bytes to their byte-level string (e.g. " hi" → "Ġhi").
    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out = String.UnicodeScalarView()
        for byte in bytes { out.append(byteToScalar[Int(byte)]) }
        return String(out)
    }

    /// Maps a byte-level token string back to raw bytes; characters outside the alphabet keep their UTF-8.
    public static func decode(_ token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            if Int(scalar.value) < scalarToByte.count, let byte = scalarToByte[Int(scalar.value)] {
                out.append(byte)
            } else {
                out.append(contentsOf: Array(String(scalar).utf8))
            }
        }
        return out
    }
}
