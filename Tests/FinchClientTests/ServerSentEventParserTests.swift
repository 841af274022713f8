import FinchClient
import Testing

@Suite("Server-sent events are split into data payloads whatever the chunking")
struct ServerSentEventParserTests {
    static let stream = "data: {\"a\":1}\n\n: a comment\n\ndata: {\"b\":2}\r\n\r\nevent: ping\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n"
    static let expected = ["{\"a\":1}", "{\"b\":2}", "line one\nline two", "[DONE]"]

    @Test("one chunk holding every event gives every payload in order")
    func oneChunk() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array(Self.stream.utf8)) == Self.expected)
        #expect(parser.finish().isEmpty)
    }

    @Test("byte-by-byte chunks give the same payloads, each once, when its blank line arrives")
    func byteByByte() {
        var parser = ServerSentEventParser()
        var payloads: [String] = []
        for byte in Array(Self.stream.utf8) { payloads += parser.feed([byte]) }
        #expect(payloads == Self.expected)
    }

    @Test("a multi-byte character split across chunks arrives whole")
    func splitCharacter() {
        var parser = ServerSentEventParser()
        let bytes = Array("data: 日本\n\n".utf8)
        #expect(parser.feed(bytes[..<8]).isEmpty)
        #expect(parser.feed(bytes[8...]) == ["日本"])
    }

    @Test("an event the stream ends without a blank line after is delivered by finish")
    func unterminated() {
        var parser = ServerSentEventParser()
        #expect(parser.feed(Array("data: {\"x\":true}".utf8)).isEmpty)
        #expect(parser.finish() == ["{\"x\":true}"])
    }
}
