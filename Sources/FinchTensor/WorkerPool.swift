import Foundation
import Synchronization

/// The engine's helper threads: `Threads.count - 1` threads that, with the calling thread, run the parts of
/// one `parallelFor` or `gemm` at a time.
///
/// A training step hands out thousands of small jobs (a GEMM or a kernel each, tens to hundreds of
/// microseconds). Waking a sleeping thread for each costs about as much as the job, so between jobs the
/// helpers watch the job ticket: a few microseconds of pure spinning (back-to-back jobs), then spinning
/// that yields the core at every check (so a server's event-loop threads get it when they need it), and
/// after `spinLimit` without a job, sleep on a condition variable. One caller at a time owns the pool; a second
/// caller (another thread, or a nested call from inside a part) gets `false` from `run` and falls back
/// to Dispatch.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool(helpers: Threads.count - 1)

    /// How long a helper spins for the next job before it sleeps.
    static let spinLimit: Duration = .milliseconds(2)
    /// Checks of the ticket before a waiting thread starts yielding its core between checks.
    static let eagerSpins = 2048

    private let helpers: Int
    /// The published job: generation (23 bits) | part count (20 bits) | index of the next unclaimed part (20 bits).
    /// One word, so a claim checks the generation, the count and the index in one compare-exchange.
    private let ticket = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let owned = Atomic<Bool>(false)
    private let sleepers = Atomic<Int>(0)
    private let wakeUp = NSCondition()
    // The current job; written by the owner before it publishes the ticket, read by claimers after.
    private var job: UnsafeRawPointer?
    private var generation = 0

    private init(helpers: Int) {
        self.helpers = max(0, helpers)
        for i in 0..<self.helpers {
            let thread = Thread { [self] in serve() }
            thread.name = "finch-worker-\(i + 1)"
            thread.start()
        }
    }

    /// Runs `body(p)` for every p in 0..<parts on the caller and the helpers and returns when all are done;
    /// returns false without running anything when the pool is in use.
    func run(parts: Int, _ body: (Int) -> Void) -> Bool {
        guard helpers > 0, parts > 0, parts < Ticket.partLimit,
              owned.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged else { return false }
        defer { owned.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            withUnsafePointer(to: body) { pointer in
                job = UnsafeRawPointer(pointer)
                generation = (generation + 1) & Ticket.generationMask
                finished.store(0, ordering: .relaxed)
                ticket.store(Ticket.make(generation: generation, parts: parts), ordering: .sequentiallyConsistent)
                if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                    wakeUp.lock()
                    wakeUp.broadcast()
                    wakeUp.unlock()
                }
                while let p = claim(generation) { perform(p) }
                var spins = 0
                while finished.load(ordering: .acquiring) < parts { spinPause(&spins) }
                job = nil
            }
        }
        return true
    }

    /// Claims the next part of generation `gen`, or nil when that job has none left (or is over).
    private func claim(_ gen: Int) -> Int? {
        var current = ticket.load(ordering: .acquiring)
        while Ticket.generation(current) == gen {
            let next = Ticket.next(current)
            if next >= Ticket.parts(current) { return nil }
            let (exchanged, original) = ticket.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return next }
            current = original
        }
        return nil
    }

    /// Runs one claimed part. Not inlined, so the closure copy it loads is released before `finished` counts it.
    @inline(never)
    private func perform(_ p: Int) {
        job!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(p)
        finished.add(1, ordering: .releasing)
    }

    private func serve() {
        var seen = 0
        let clock = ContinuousClock()
        while true {
            var deadline = clock.now + Self.spinLimit
            var spins = 0
            while Ticket.generation(ticket.load(ordering: .acquiring)) == seen {
                spinPause(&spins)
                if spins & 255 == 0 && clock.now > deadline {
                    sleep(whileGenerationIs: seen)
                    deadline = clock.now + Self.spinLimit
                }
            }
            seen = Ticket.generation(ticket.load(ordering: .acquiring))
            while let p = claim(seen) { perform(p) }
        }
    }

    private func sleep(whileGenerationIs seen: Int) {
        wakeUp.lock()
        sleepers.add(1, ordering: .sequentiallyConsistent)
        while Ticket.generation(ticket.load(ordering: .sequentiallyConsistent)) == seen { wakeUp.wait() }
        sleepers.subtract(1, ordering: .sequentiallyConsistent)
        wakeUp.unlock()
    }
}

/// Packing of `WorkerPool.ticket`.
private enum Ticket {
    static let generationMask = (1 << 23) - 1
    static let partLimit = 1 << 20

    static func make(generation: Int, parts: Int) -> Int { generation << 40 | parts << 20 }
    static func generation(_ t: Int) -> Int { t >> 40 }
    static func parts(_ t: Int) -> Int { (t >> 20) & (partLimit - 1) }
    static func next(_ t: Int) -> Int { t & (partLimit - 1) }
}

/// One step of a busy wait: nothing for the first `eagerSpins` steps, then a `sched_yield`, which returns at once
/// when no other thread wants this core.
@inline(__always)
private func spinPause(_ spins: inout Int) {
    spins += 1
    if spins > WorkerPool.eagerSpins { sched_yield() }
}
