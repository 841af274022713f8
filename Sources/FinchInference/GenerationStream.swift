import FinchModels
import Foundation

/// One event of a streamed generation.
public enum GenerationEvent: Sendable {
    case chunk(GenerationChunk)
    case finished(GenerationResult)
}

/// A flag shared between a stream's consumer and its worker thread.
final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isCancelled: Bool { lock.withLock { value } }
    func cancel() { lock.withLock { value = true } }
}

struct GenerationCancelled: Error {}

extension TextGenerator {
    /// Streams a generation as an `AsyncSequence`. The compute runs on its own thread (never on the
    /// Swift concurrency pool); ending the iteration early cancels it at the next token.
    public func stream(promptIds: [Int], options: GenerationOptions = .init()) -> AsyncThrowingStream<GenerationEvent, Error> {
        let (stream, continuation) = AsyncThrowingStream<GenerationEvent, Error>.makeStream()
        let flag = CancellationFlag()
        continuation.onTermination = { _ in flag.cancel() }
        let generator = self
        let thread = Thread {
            do {
                let result = try generator.generate(promptIds: promptIds, options: options) { chunk in
                    if flag.isCancelled { throw GenerationCancelled() }
                    continuation.yield(.chunk(chunk))
                }
                continuation.yield(.finished(result))
                continuation.finish()
            } catch is GenerationCancelled {
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
        return stream
    }
}
