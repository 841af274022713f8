import FinchInference
import FinchModels
import Foundation
import Testing

@Suite("A generation whose consumer goes away stops")
struct CancellationTests {
    @Test("cancelling the consuming task stops the generation before its next token and reports the tokens made")
    func cancelledTaskStops() async throws {
        let root = try modelsDirectory(["a": "llama"], window: 4096)
        defer { try? FileManager.default.removeItem(at: root) }
        let host = ModelHost(configuration: .init(modelsDirectory: root))
        let hosted = try await host.model(named: "a")
        let (reports, reported) = AsyncStream<Int>.makeStream()
        let (started, start) = AsyncStream<Void>.makeStream()
        let consumer = Task {
            var deltas = 0
            for try await update in host.generate(hosted, busyRequest, onCancelled: { reported.yield($0) }) {
                if case .delta = update {
                    deltas += 1
                    if deltas == 1 { start.yield() }
                }
            }
            return deltas
        }
        var waiting = started.makeAsyncIterator()
        _ = await waiting.next()  // the generation is under way
        consumer.cancel()
        let deltas = try await consumer.value
        var iterator = reports.makeAsyncIterator()
        let tokens = try #require(await iterator.next())
        // it stopped long before max_tokens (4000), after the tokens the consumer had seen
        #expect(tokens >= 1 && tokens < busyRequest.maxTokens)
        #expect(deltas <= tokens)
        // the compute thread is free again: a short generation runs to its end
        let after = try await run(host, hosted, GenerationRequest(promptIds: [4, 5], maxTokens: 3, sampling: .greedy))
        #expect(after.1 != nil)
        #expect(hosted.isIdle)
    }
}
