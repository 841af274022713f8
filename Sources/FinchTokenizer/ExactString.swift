/// A dictionary key that compares strings by their Unicode scalars, as Python and Rust do.
///
/// Swift's `String` compares and hashes by canonical equivalence, so "ί" (U+1F77) and "ί" (U+03AF)
/// are the same key — yet Llama 2's vocabulary has both as different tokens. Vocabularies, caches
/// and JSON objects therefore key by `ExactKey`. Hashing raw UTF-8 is also faster than Swift's
/// normalizing string hash.
package struct ExactKey: Hashable, Sendable {
    package let string: String

    package init(_ string: String) { self.string = string }

    package static func == (a: ExactKey, b: ExactKey) -> Bool { a.string.utf8.elementsEqual(b.string.utf8) }

    package func hash(into hasher: inout Hasher) {
        var copy = string
        copy.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// Byte-exact (code point) string search, replace and split: Swift's `String` methods match whole
/// grapheme clusters, so " " would not be found in " \u{301}"; Python/Rust (and HF tokenizers) would.
enum ExactString {
    /// Byte offsets of the non-overlapping occurrences of `needle` in `haystack`, left to right.
    /// Matching UTF-8 bytes is matching scalars: a valid needle never starts on a continuation byte.
    static func occurrences(of needle: [UInt8], in haystack: [UInt8], limit: Int = -1) -> [Int] {
        guard !needle.isEmpty, needle.count <= haystack.count else { return [] }
        var found: [Int] = []
        var i = 0
        let first = needle[0]
        while i + needle.count <= haystack.count {
            if haystack[i] == first && haystack[i..<(i + needle.count)].elementsEqual(needle) {
                found.append(i)
                if limit >= 0 && found.count == limit { break }
                i += needle.count
            } else {
                i += 1
            }
        }
        return found
    }

    static func contains(_ haystack: String, _ needle: String) -> Bool {
        needle.isEmpty || !occurrences(of: Array(needle.utf8), in: Array(haystack.utf8), limit: 1).isEmpty
    }

    /// Replaces up to `count` occurrences (all when negative).
    static func replace(_ s: String, _ target: String, with replacement: String, count: Int = -1) -> String {
        let bytes = Array(s.utf8), needle = Array(target.utf8)
        let hits = occurrences(of: needle, in: bytes, limit: count)
        if hits.isEmpty { return s }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var start = 0
        for hit in hits {
            out += bytes[start..<hit]
            out += replacement.utf8
            start = hit + needle.count
        }
        out += bytes[start...]
        return String(decoding: out, as: UTF8.self)
    }

    /// Python `s.split(sep, maxsplit)` with an explicit separator.
    static func split(_ s: String, separator: String, maxSplit: Int = -1) -> [String] {
        let bytes = Array(s.utf8), needle = Array(separator.utf8)
        var parts: [String] = []
        var start = 0
        for hit in occurrences(of: needle, in: bytes, limit: maxSplit) {
            parts.append(String(decoding: bytes[start..<hit], as: UTF8.self))
            start = hit + needle.count
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }

    /// Python `s.find(sub)`: index in code points, or -1.
    static func find(_ s: String, _ needle: String) -> Int {
        let bytes = Array(s.utf8)
        guard let hit = needle.isEmpty ? 0 : occurrences(of: Array(needle.utf8), in: bytes, limit: 1).first else { return -1 }
        return String(decoding: bytes[..<hit], as: UTF8.self).unicodeScalars.count
    }

    static func equal(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
}

extension String {
    /// Literal, code-point-exact replacement of every occurrence (see `ExactString`).
    func replacingAll(_ target: String, with replacement: String) -> String {
        ExactString.replace(self, target, with: replacement)
    }
}
