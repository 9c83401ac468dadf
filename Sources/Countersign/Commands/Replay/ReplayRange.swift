import AuditEvent
import Foundation

/// What a replay judges: alerts whose event time is in [from, to); events
/// from `from - warmup` on are fed to the detectors (the warm-up teaches
/// baselines silently), earlier ones are skipped.
struct ReplayRange: Sendable {
    var from: Timestamp?
    var to: Timestamp?
    var warmupMicroseconds: Int64

    /// Where feeding starts: nil feeds everything.
    var feedFrom: Timestamp? {
        from.map { Timestamp(microsecondsSinceEpoch: $0.microsecondsSinceEpoch - warmupMicroseconds) }
    }

    func feeds(_ time: Timestamp) -> Bool {
        if let feedFrom, time < feedFrom { return false }
        if let to, time >= to { return false }
        return true
    }

    func reports(_ time: Timestamp) -> Bool {
        if let from, time < from { return false }
        if let to, time >= to { return false }
        return true
    }

    /// An RFC 3339 time, or one relative to `now`: `-2h`, `-30m`, `-7d`, `-90s`.
    static func time(_ text: String, now: Date = Date()) throws -> Timestamp {
        if text.hasPrefix("-") {
            let seconds = try duration(String(text.dropFirst()))
            let micros = Int64((now.timeIntervalSince1970 * 1e6).rounded()) - seconds * 1_000_000
            return Timestamp(microsecondsSinceEpoch: micros)
        }
        switch Timestamp.parse(rfc3339: text) {
        case .success(let time): return time
        case .failure: throw ReplayError.usage("'\(text)' is neither an RFC 3339 time nor relative like -2h")
        }
    }

    /// A duration in seconds: a number with s, m, h or d (`24h`, `7d`); `0` is none.
    static func duration(_ text: String) throws -> Int64 {
        if text == "0" { return 0 }
        guard let unit = text.last, let number = Int64(text.dropLast()), number >= 0 else {
            throw ReplayError.usage("'\(text)' is not a duration like 90s, 30m, 2h or 7d")
        }
        switch unit {
        case "s": return number
        case "m": return number * 60
        case "h": return number * 3_600
        case "d": return number * 86_400
        default: throw ReplayError.usage("'\(text)' is not a duration like 90s, 30m, 2h or 7d")
        }
    }
}

/// Why a replay stopped; each has its exit status (docs/replay.md).
enum ReplayError: Error, CustomStringConvertible {
    /// A wrong option or range: 64.
    case usage(String)
    /// The ledger's entries do not hash to its signed checkpoint, or its files are damaged: 3.
    case ledgerNotVerified(String)
    /// The source could not be read (broker, files): 1.
    case source(String)

    var description: String {
        switch self {
        case .usage(let text), .ledgerNotVerified(let text), .source(let text): text
        }
    }

    var exitStatus: Int32 {
        switch self {
        case .usage: 64
        case .ledgerNotVerified: 3
        case .source: 1
        }
    }
}
