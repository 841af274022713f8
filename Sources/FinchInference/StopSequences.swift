/// Finds stop strings in streamed text, even when one spans several tokens, and holds back any
/// tail that might still grow into a stop string so it is never emitted.
public struct StopSequenceMatcher: Sendable {
    public let stops: [String]
    /// Text received but not yet released.
    private var pending = ""

    public init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    public enum Step: Sendable, Equatable {
        /// Text that is safe to emit.
        case text(String)
        /// A stop string was found: emit this text (what came before it) and stop.
        case stop(String)
    }

    /// Feeds newly decoded text.
    public mutating func push(_ text: String) -> Step {
        pending += text
        if stops.isEmpty {
            defer { pending = "" }
            return .text(pending)
        }
        var earliest: String.Index?
        for s in stops {
            if let r = pending.range(of: s), earliest == nil || r.lowerBound < earliest! { earliest = r.lowerBound }
        }
        if let cut = earliest {
            let before = String(pending[..<cut])
            pending = ""
            return .stop(before)
        }
        // Hold back the longest suffix of pending that is a prefix of some stop string.
        var hold = 0
        for s in stops {
            var n = min(s.count - 1, pending.count)
            while n > hold {
                if pending.hasSuffix(s.prefix(n)) {
                    hold = n
                    break
                }
                n -= 1
            }
        }
        let split = pending.index(pending.endIndex, offsetBy: -hold)
        let out = String(pending[..<split])
        pending = String(pending[split...])
        return .text(out)
    }

    /// Releases whatever is held back (generation ended without a stop string).
    public mutating func finish() -> String {
        defer { pending = "" }
        return pending
    }
}
