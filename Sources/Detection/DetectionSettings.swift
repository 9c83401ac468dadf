/// Every knob of the engine, with defaults tuned on the generator's
/// scenarios (EVALUATION.md). The pipeline file's `detectors:` section sets
/// them; each detector can be switched off.
public struct DetectionSettings: Sendable, Hashable {
    /// Bucket length of the sliding windows, in seconds.
    public var windowSeconds: Int = 60
    /// Weight of a new busy window in a baseline (about a 100-window memory).
    public var baselineAlpha: Float = 0.01
    /// Busy windows a key needs before it may alert.
    public var warmupWindows: Int = 10
    /// Events older than the newest seen minus this are late: counted, stored
    /// by the sinks, but not added to windows.
    public var allowedLatenessSeconds: Int = 300
    /// After an alert, the same detector and key stay quiet this long (the
    /// incident is one alert, not a storm).
    public var cooldownSeconds: Int = 1_800
    /// Keys idle this long (event time) are forgotten.
    public var evictAfterSeconds: Int = 14 * 86_400
    /// Most members, member x tool pairs, tools and tenants tracked per engine;
    /// beyond a cap, new keys are not tracked (counted as untracked).
    public var maxMembers: Int = 1_000_000
    public var maxPairs: Int = 4_000_000
    public var maxTools: Int = 100_000
    public var maxTenants: Int = 100_000
    /// Most contributing event ids listed in an alert.
    public var maxEvidence: Int = 8

    public struct Spike: Sendable, Hashable {
        public var enabled = true
        /// Standard scores above the busy-window baseline.
        public var threshold: Float = 8
        /// And at least this many times the baseline mean.
        public var minRatio: Float = 5
        /// And at least this many calls in the window, per scope.
        public var minCountMember: Float = 40
        public var minCountPair: Float = 40
        public var minCountTool: Float = 150
        public var minCountTenant: Float = 200
        public init() {}
    }

    public struct Exfiltration: Sendable, Hashable {
        public var enabled = true
        /// Standard scores of log(result bytes in the window) above the member's
        /// baseline; logs of sizes spread wide (a write returns 100 bytes, a
        /// fetch 20 kB), so fewer scores than for counts, gated by `minBytes`.
        public var threshold: Float = 4
        /// Result bytes in the window below this never alert.
        public var minBytes: Float = 20_000_000
        public init() {}
    }

    public struct Breadth: Sendable, Hashable {
        public var enabled = true
        public var threshold: Float = 8
        /// Distinct resources (or tools) in the window below this never alert.
        public var minResources: Float = 40
        public var minTools: Float = 20
        public init() {}
    }

    public struct ReadThenSend: Sendable, Hashable {
        public var enabled = true
        /// Tools whose results are sensitive, and tools that send outside.
        public var sensitiveTools: Set<String> = [
            "run_query", "read_file", "get_file_contents", "export_document", "read_channel",
        ]
        public var externalTools: Set<String> = ["send_email", "post_message", "fetch_url"]
        /// A sensitive read counts only when it returned at least this many bytes.
        public var minReadBytes: Int64 = 512 * 1_024
        /// How soon after the read a send counts.
        public var withinSeconds: Int = 900
        public init() {}
    }

    public struct Probing: Sendable, Hashable {
        public var enabled = true
        public var threshold: Float = 8
        /// Failed, denied or rate-limited calls in the window below this never alert.
        public var minFailures: Float = 15
        /// And at least this share of the member's calls in the window failed.
        public var minFailureRatio: Float = 0.3
        public init() {}
    }

    public struct FirstSeen: Sendable, Hashable {
        public var enabled = true
        /// Calls a member needs before a new tool is news.
        public var warmupEvents: Int = 200
        /// A tool is rare while fewer members than this have used it, and
        /// while its calls are less than this share of all calls.
        public var rareMembers: Int = 3
        public var rareShare: Double = 0.002
        public init() {}
    }

    public struct OffHours: Sendable, Hashable {
        public var enabled = true
        /// Calls and hours of history a member needs before hours can be judged:
        /// a full day plus the neighbour hours, so that every hour of the day
        /// has been watched once (a member first seen at 10:00 must not be
        /// "off hours" at 08:00 the next morning).
        public var warmupEvents: Int = 100
        public var warmupHours: Int = 25
        /// An hour is off when it and the hours either side hold no calls in the profile.
        public var neighbourHours: Int = 1
        public init() {}
    }

    public var spike = Spike()
    public var exfiltration = Exfiltration()
    public var breadth = Breadth()
    public var readThenSend = ReadThenSend()
    public var probing = Probing()
    public var firstSeen = FirstSeen()
    public var offHours = OffHours()

    public init() {}
}

/// The detectors, by the names alerts and pipeline files use.
public enum Detector: String, Sendable, Hashable, CaseIterable, Comparable {
    case spike
    case exfiltration
    case breadth
    case readThenSend = "read_then_send"
    case probing
    case firstSeen = "first_seen"
    case offHours = "off_hours"

    public static func < (a: Detector, b: Detector) -> Bool { a.index < b.index }

    var index: Int { Detector.allCases.firstIndex(of: self)! }

    /// The highest severity the detector gives (0-10): behaviour that is
    /// often benign (a new tool, a late night) ranks below data leaving.
    var maxSeverity: Int {
        switch self {
        case .exfiltration, .readThenSend: 10
        case .probing, .spike, .breadth: 8
        case .firstSeen, .offHours: 5
        }
    }
}
