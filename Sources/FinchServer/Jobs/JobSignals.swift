import Synchronization

/// Tells the worker that jobs changed (created, cancelled, paused, resumed) so it reacts at once
/// instead of at its next poll. A generation counter: waiters compare it with what they last saw.
public final class JobSignals: Sendable {
    private let generation = Atomic<Int>(0)

    public init() {}

    public var current: Int { generation.load(ordering: .acquiring) }

    public func jobsChanged() {
        generation.add(1, ordering: .releasing)
    }

    /// Returns when the generation moves past `seen`, or after `timeout`; cheap polling every 20 ms.
    public func wait(since seen: Int, timeout: Duration) async {
        let deadline = ContinuousClock.now + timeout
        while current == seen, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
