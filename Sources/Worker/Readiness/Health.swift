import Synchronization

/// What is failing right now, part by part (`kafka`, `postgres`, `siem`,
/// `ledger`, ...), with why: fed by probes (at start, then while a part
/// fails) and by write outcomes, and read by /readyz without waiting on
/// anything. The two sources are kept apart so that a SIEM sink that
/// spools (its writes succeed) still reads as failing while its collector
/// is unreachable.
public final class Health: Sendable {
    public enum Source: Sendable, Hashable {
        case probe
        case writes
    }

    private let failing = Mutex<[String: [Source: String]]>([:])

    public init() {}

    /// `reason` nil: the part works, as far as `source` can tell.
    public func set(_ part: String, _ source: Source, failing reason: String?) {
        failing.withLock { $0[part, default: [:]][source] = reason }
    }

    public func reason(_ part: String, _ source: Source) -> String? { failing.withLock { $0[part]?[source] } }

    /// Ready when nothing fails; otherwise each failing part and why, by name.
    public var readiness: (ready: Bool, reasons: [String]) {
        let snapshot = failing.withLock { $0 }
        var reasons: [String] = []
        for part in snapshot.keys.sorted() {
            let parts = snapshot[part]!
            if let probe = parts[.probe] { reasons.append("\(part): \(probe)") }
            if let writes = parts[.writes], writes != parts[.probe] { reasons.append("\(part): \(writes)") }
        }
        return (reasons.isEmpty, reasons)
    }
}
