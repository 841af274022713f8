import CBLAS
import Dispatch
import Foundation

/// Threading for the engine. OpenBLAS and our parallel-for share the cores: both use `Threads.count`
/// workers, and they never run at the same time on one call path (a GEMM returns before the next
/// hand-written kernel starts), so the machine is never oversubscribed by one forward pass.
public enum Threads {
    /// Worker count: `FINCH_THREADS` if set, else the active processor count.
    public static let count: Int = {
        if let s = ProcessInfo.processInfo.environment["FINCH_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    private static let blasConfigured: Bool = {
        openblas_set_num_threads(Int32(count))
        return true
    }()

    /// Caps OpenBLAS at `count` threads; idempotent, called by every GEMM entry point.
    @inline(__always) public static func configureBLAS() { _ = blasConfigured }
}

/// Runs `body` over `0..<n` split into contiguous chunks, one per worker.
/// Small problems (fewer than `minChunk` items per worker) run inline on the caller's thread.
@inline(__always)
public func parallelFor(_ n: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    if n <= 0 { return }
    let workers = min(Threads.count, max(1, n / max(minChunk, 1)))
    if workers <= 1 {
        body(0..<n)
        return
    }
    let chunk = (n + workers - 1) / workers
    // Kernels capture raw pointers; each chunk touches disjoint output rows, which is what makes this sound.
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = w * chunk
            let hi = min(n, lo + chunk)
            if lo < hi { box.value(lo..<hi) }
        }
    }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees data-race freedom.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
