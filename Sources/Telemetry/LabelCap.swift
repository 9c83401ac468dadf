import Synchronization

/// Keeps a label's values bounded: the first `limit` distinct values are
/// kept, every later one becomes `__other__` (counted). Without it, traffic
/// with a million distinct tool names would make a million series.
public final class LabelCap: Sendable {
    public static let other = "__other__"
    public let limit: Int
    private let seen: Mutex<Set<String>>

    public init(limit: Int) {
        self.limit = limit
        seen = Mutex([])
    }

    /// The value to use as the label, and whether it was folded.
    public func value(_ raw: String) -> (value: String, folded: Bool) {
        seen.withLock { set in
            if set.contains(raw) { return (raw, false) }
            guard set.count < limit else { return (Self.other, true) }
            set.insert(raw)
            return (raw, false)
        }
    }

    public var count: Int { seen.withLock { $0.count } }
}
