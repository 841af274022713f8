import Foundation

/// The one thread that runs served generations. Compute is synchronous and uses every core (BLAS and
/// our parallel-for), so generations take turns on a dedicated thread — never on Swift's cooperative
/// pool — one forward pass at a time, round-robin: a long generation cannot starve a short one, and
/// a new request starts after at most one step of each active one.
final class ComputeScheduler: @unchecked Sendable {
    /// Shared by every model host in the process: there is one set of cores to share.
    static let shared = ComputeScheduler()

    struct Work {
        let session: GenerationSession
        /// Called once, on the compute thread, when the session ends: nil after `finished`, or the error
        /// (including `CancellationError` when the consumer went away).
        let completion: @Sendable ((any Error)?) -> Void
    }

    private let condition = NSCondition()
    private var queue: [Work] = []
    private var started = false
    private var stepsRun = 0

    /// Adds a session to the rotation (starts the thread on first use).
    func submit(_ work: Work) {
        condition.lock()
        queue.append(work)
        if !started {
            started = true
            let thread = Thread { [unowned self] in self.run() }
            thread.name = "finch-compute"
            thread.stackSize = 8 << 20
            thread.start()
        }
        condition.signal()
        condition.unlock()
    }

    /// Sessions waiting for their next step (running one excluded).
    var queued: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty { condition.wait() }
            let work = queue.removeFirst()
            condition.unlock()

            if work.session.cancellation.isCancelled {
                work.completion(CancellationError())
                continue
            }
            let done: Bool
            do {
                done = try work.session.step()
            } catch {
                work.completion(error)
                continue
            }
            if done {
                work.completion(nil)
            } else {
                condition.lock()
                queue.append(work)
                condition.unlock()
            }
        }
    }
}
