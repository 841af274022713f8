import FinchServer
import Testing

@Suite("Streaming multipart parser")
struct MultipartStreamParserTests {
    struct Part: Equatable {
        var headers: [String]
        var body: [UInt8]
    }

    /// Parses `body` fed in the given chunk sizes (cycled).
    func parse(_ body: [UInt8], boundary: String = "XyZ", chunks: [Int]) throws -> (parts: [Part], complete: Bool) {
        var parser = MultipartStreamParser(boundary: boundary)
        var parts: [Part] = []
        var offset = 0
        var index = 0
        while offset < body.count {
            let size = min(chunks[index % chunks.count], body.count - offset)
            try body[offset..<(offset + size)].withUnsafeBytes { bytes in
                try parser.feed(bytes) { event in
                    switch event {
                    case .partStart(let headers): parts.append(Part(headers: headers.map { "\($0.name)=\($0.value)" }, body: []))
                    case .body(let bytes): parts[parts.count - 1].body += bytes
                    case .partEnd: break
                    }
                }
            }
            offset += size
            index += 1
        }
        return (parts, parser.isComplete)
    }

    static let tricky: [UInt8] = Array("line\r\n--XyNot a boundary\r\n-XyZ? still body --XyZ\r\r\n-".utf8) + [0, 0x0D, 0xFF]
    static let form: [UInt8] = Array("preamble to ignore\r\n--XyZ\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--XyZ  \r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        + tricky + Array("\r\n--XyZ\r\n\r\nno headers\r\n--XyZ--\r\nepilogue".utf8)

    @Test("parts come out whole however the body is split into chunks")
    func everySplit() throws {
        let expected = [
            Part(headers: ["content-disposition=form-data; name=\"purpose\""], body: Array("fine-tune".utf8)),
            Part(headers: ["content-disposition=form-data; name=\"file\"; filename=\"a.bin\"", "content-type=application/octet-stream"],
                 body: Self.tricky),
            Part(headers: [], body: Array("no headers".utf8)),
        ]
        for size in [1, 2, 3, 5, 7, 13, 64, Self.form.count] {
            let result = try parse(Self.form, chunks: [size])
            #expect(result.parts == expected, "chunk size \(size)")
            #expect(result.complete)
        }
        for first in 1..<Self.form.count {
            #expect(try parse(Self.form, chunks: [first, Self.form.count]).parts == expected, "split at \(first)")
        }
    }

    @Test("a body without its closing boundary is not complete")
    func truncated() throws {
        let cut = Array(Self.form.prefix(Self.form.count - 20))
        #expect(try parse(cut, chunks: [1000]).complete == false)
    }

    @Test("garbage after a boundary and endless headers are syntax errors")
    func syntaxErrors() {
        #expect(throws: MultipartStreamParser.SyntaxError.self) {
            try parse(Array("--XyZ!!\r\n".utf8), chunks: [100])
        }
        #expect(throws: MultipartStreamParser.SyntaxError.self) {
            try parse(Array("--XyZ\r\nA: ".utf8) + [UInt8](repeating: 65, count: 20_000), chunks: [4096])
        }
    }
}
