import AuditEvent

/// How a gateway's records become `mcp.audit/1` events: for each field, the
/// record values to read it from (the first one present wins), and the
/// words that stand for event kinds and outcomes.
///
/// Each source format has a built-in mapping (``FieldMapping/builtIn(for:)``);
/// a pipeline file puts its own names before the built-in ones, so a gateway
/// nobody here has seen is added without code.
public struct FieldMapping: Sendable {
    /// The values each field is read from, in order of preference.
    public var sources: [EventField: [String]]
    /// Words (lowercased) of the `event_kind` values that name a kind. A
    /// record whose kind value is not listed is not an MCP call.
    public var kindWords: [String: EventKind]
    /// Words (lowercased) of the `outcome.status` values.
    public var statusWords: [String: OutcomeStatus]
    /// `source.gateway` when no value names it.
    public var gateway: String
    /// The status of a call that names neither a status nor an error type:
    /// `success` where the source's convention is that an error is always
    /// recorded (OpenTelemetry's `error.type`), `unknown` elsewhere.
    public var statusWhenSilent: OutcomeStatus
    /// What to do with records that are not MCP calls.
    public var otherRecords: OtherRecords

    public enum OtherRecords: String, Sendable, Hashable, CaseIterable {
        /// Left out and counted; the ledger still holds the message they came in.
        case skip
        /// Sent to the dead-letter topic (`not_an_mcp_record`).
        case deadLetter = "dead_letter"
    }

    public init(
        sources: [EventField: [String]],
        kindWords: [String: EventKind] = [:],
        statusWords: [String: OutcomeStatus] = FieldMapping.commonStatusWords,
        gateway: String,
        statusWhenSilent: OutcomeStatus = .unknown,
        otherRecords: OtherRecords = .skip
    ) {
        self.sources = sources
        self.kindWords = kindWords
        self.statusWords = statusWords
        self.gateway = gateway
        self.statusWhenSilent = statusWhenSilent
        self.otherRecords = otherRecords
    }

    /// This mapping with a pipeline file's names read first.
    public func overridden(by fields: [EventField: [String]], gateway: String?, otherRecords: OtherRecords?) -> Self {
        var result = self
        for (field, names) in fields { result.sources[field] = names + (sources[field] ?? []) }
        if let gateway { result.gateway = gateway }
        if let otherRecords { result.otherRecords = otherRecords }
        return result
    }

    /// Status words most gateways use; each built-in mapping starts from these.
    public static let commonStatusWords: [String: OutcomeStatus] = [
        "success": .success, "ok": .success, "succeeded": .success, "completed": .success, "true": .success,
        "error": .toolError, "failed": .toolError, "failure": .toolError, "tool_error": .toolError,
        "false": .toolError,
        "protocol_error": .protocolError,
        "denied": .denied, "deny": .denied, "forbidden": .denied, "blocked": .denied, "rejected": .denied,
        "unauthorized": .denied,
        "timeout": .timeout, "timed_out": .timeout, "deadline_exceeded": .timeout,
        "rate_limited": .rateLimited, "throttled": .rateLimited,
        "approval_required": .approvalRequired, "pending_approval": .approvalRequired,
        "cancelled": .cancelled, "canceled": .cancelled,
        "unknown": .unknown,
    ]

    /// MCP method names to event kinds (the `*/list` methods are `list`).
    public static func kind(ofMethod method: String) -> EventKind? {
        switch method {
        case "tools/call": .toolCall
        case "resources/read": .resourceRead
        case "prompts/get": .promptGet
        case "initialize", "notifications/initialized", "ping": .session
        default: method.hasSuffix("/list") ? .list : nil
        }
    }

    /// The method a kind implies when the record does not name one.
    public static func method(ofKind kind: EventKind) -> String? {
        switch kind {
        case .toolCall: "tools/call"
        case .resourceRead: "resources/read"
        case .promptGet: "prompts/get"
        default: nil
        }
    }
}
