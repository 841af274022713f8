import CBLAS
import Dispatch
import Foundation

/// Threading for the engine: `Threads.count` workers run both the hand-written kernels (`parallelFor`) and
/// the GEMMs (`gemm` cuts each product into single-threaded OpenBLAS calls), so one pool owns the cores.
/// OpenBLAS's own threads are off: between two GEMMs they spin on `sched_yield` and take a core from the
/// kernels running in between.
public enum Threads {
    /// Worker count: `FINCH_THREADS` if set, else the active processor count.
    public static let count: Int = {
        if let s = ProcessInfo.processInfo.environment["FINCH_THREADS"], let n = Int(s), n > 0 { return n }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    private static let blasConfigured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Keeps OpenBLAS single-threaded; idempotent, called by every BLAS entry point.
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
    func part(_ w: Int) {
        let lo = w * chunk
        let hi = min(n, lo + chunk)
        if lo < hi { body(lo..<hi) }
    }
    if WorkerPool.shared.run(parts: workers, part) { return }
    // The pool is busy (another thread's job, or a call from inside a part): Dispatch's threads instead.
    // Kernels capture raw pointers; each chunk touches disjoint output rows, which is what makes this sound.
    withoutActuallyEscaping(part) { part in
        let box = UncheckedSendable(part)
        DispatchQueue.concurrentPerform(iterations: workers) { w in box.value(w) }
    }
}

/// Runs `body(i)` for every i in `0..<n`, handing items out one at a time to whichever worker is free,
/// so items of uneven cost (sequences of different lengths) balance. Each item must write its own outputs.
public func parallelForEach(_ n: Int, _ body: (Int) -> Void) {
    if n <= 0 { return }
    if n == 1 || Threads.count == 1 {
        for i in 0..<n { body(i) }
        return
    }
    if WorkerPool.shared.run(parts: n, body) { return }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: n) { i in box.value(i) }
    }
}

/// Carries a value into a `@Sendable` closure when the caller guarantees data-race freedom.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
