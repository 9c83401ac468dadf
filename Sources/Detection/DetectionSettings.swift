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
        /// The window calls are counted in: long enough that an agent's
        /// normal burst of a minute is part of the baseline, short enough
        /// that a runaway loop of ten minutes stands out.
        public var windowSeconds: Int = 900
        /// Weight of a new busy window in a spike baseline.
        public var baselineAlpha: Float = 0.05
        /// Busy windows a key needs before it may spike.
        public var warmupWindows: Int = 8
        /// Hours since the member's first call before any spike of theirs:
        /// the first hours have no idea of a busy day.
        public var warmupHours: Int = 2
        /// Standard scores above the busy-window baseline (with a Poisson floor).
        public var threshold: Float = 6
        /// And at least this many times the baseline mean.
        public var minRatio: Float = 10
        /// A member or member x tool spike needs this share of the member's
        /// calls in the window on the one tool.
        public var minFocus: Float = 0.7
        /// And at least this many calls in the window, per scope.
        public var minCountMember: Float = 40
        public var minCountPair: Float = 30
        public var minCountTool: Float = 400
        public var minCountTenant: Float = 1_000
        public init() {}
    }

    public struct Exfiltration: Sendable, Hashable {
        public var enabled = true
        /// Standard scores of log(1 + result bytes) above the member x tool
        /// pair's own per-call baseline for a call to count as large.
        public var threshold: Float = 3
        /// And at least this many times the pair's typical result.
        public var minRatio: Float = 20
        /// Large calls of one pair within `runMinutes` before it alerts.
        public var minCalls: Int = 3
        public var runMinutes: Int = 60
        /// And at least this many bytes returned by the run's large calls.
        public var minBytes: Float = 250_000
        /// Successful calls a pair needs before its sizes are judged.
        public var warmupCalls: Int = 8
        /// More members of one tenant than this with such runs within an hour
        /// is the tenant's own business (a quarter-end export), not a leak.
        public var maxMembersAtOnce: Int = 2
        public init() {}
    }

    public struct Breadth: Sendable, Hashable {
        public var enabled = true
        public var threshold: Float = 8
        /// Calls on resources the member never touched before (net of calls
        /// on known ones, which count double) before it alerts, at least;
        /// more when the pair often touches new ones: the run must be less
        /// likely than `runChance` under the pair's own share of new resources.
        public var minResources: Float = 8
        public var runChance: Double = 1e-6
        /// Only for a member whose long-run share of new resources is below this.
        public var maxNewShare: Float = 0.5
        /// Distinct tools in the window below this never alert.
        public var minTools: Float = 20
        public init() {}
    }

    public struct ReadThenSend: Sendable, Hashable {
        public var enabled = true
        /// Tools to treat as sensitive reads, and as sends outside, beyond
        /// what their names say (``ToolLexicon``); `tool_classes` sets any class.
        public var sensitiveTools: Set<String> = []
        public var externalTools: Set<String> = []
        /// A sensitive read counts only when it returned at least this many bytes.
        public var minReadBytes: Int64 = 512 * 1_024
        /// How soon after the read a send counts.
        public var withinSeconds: Int = 1_500
        public init() {}
    }

    public struct Probing: Sendable, Hashable {
        public var enabled = true
        /// Denied calls (policy denials, `denied` and `unauthorized`
        /// outcomes; tool errors are an upstream's trouble, not probing)
        /// within `runMinutes` before it alerts.
        public var minFailures: Float = 20
        public var runMinutes: Int = 10
        /// And at least this share of the member's calls in the run.
        public var minFailureRatio: Float = 0.3
        /// Only for a member whose long-run share of denied calls is below this.
        public var maxUsualShare: Float = 0.2
        public init() {}
    }

    public struct FirstSeen: Sendable, Hashable {
        public var enabled = true
        /// Calls a member needs before a new tool is news.
        public var warmupEvents: Int = 200
        /// Read from pipeline files so that older ones still load; first use
        /// is now judged by the tool's class and the member's servers.
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
        public var warmupEvents: Int = 200
        public var warmupHours: Int = 72
        /// An hour is quiet when it and this many hours either side hold no
        /// calls in the member's profile.
        public var neighbourHours: Int = 2
        /// Calls at least this far apart start a new session.
        public var sessionGapMinutes: Int = 60
        /// Calls of one session at quiet hours before it alerts.
        public var minCalls: Int = 8
        /// More members of one tenant than this reaching the threshold within
        /// an hour is a team at work (a shift change, an incident), not news.
        public var maxMembersAtOnce: Int = 2
        public init() {}
    }

    /// Classes set by name in the pipeline file, over the lexicon's.
    public var toolClasses: [String: ToolClass] = [:]

    public var spike = Spike()
    public var exfiltration = Exfiltration()
    public var breadth = Breadth()
    public var readThenSend = ReadThenSend()
    public var probing = Probing()
    public var firstSeen = FirstSeen()
    public var offHours = OffHours()

    public init() {}
}

extension DetectionSettings {
    /// A tool's class: the pipeline file's word first, then the
    /// read-then-send lists, then what its name and server say.
    public func toolClass(_ name: String, server: String?) -> ToolClass {
        if let set = toolClasses[name] { return set }
        if readThenSend.externalTools.contains(name) { return .externalSend }
        if readThenSend.sensitiveTools.contains(name) { return .sensitiveRead }
        return ToolLexicon.classify(tool: name, server: server)
    }
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
