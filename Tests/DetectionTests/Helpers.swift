import AuditEvent
import Detection

/// Builds events by hand: what a member did, when, with what result.
struct Script {
    static let day0: Int64 = 1_787_184_000_000_000  // 2026-08-20T00:00:00Z
    var events: [AuditEvent] = []
    private var serial = 0

    mutating func call(
        _ member: String,
        _ tool: String,
        at seconds: Double,
        bytes: Int64 = 2_000,
        status: OutcomeStatus = .success,
        resource: String? = nil,
        tenant: String = "acme",
        args: Int64? = nil,
        server: String = "s"
    ) {
        serial += 1
        events.append(
            AuditEvent(
                eventID: "e-\(serial)",
                kind: .toolCall,
                occurredAt: Timestamp(microsecondsSinceEpoch: Self.day0 + Int64(seconds * 1_000_000)),
                source: Source(gateway: "test"),
                tenantID: tenant,
                actor: Actor(id: member, type: .user),
                target: Target(serverID: server, method: "tools/call", tool: tool, resourceURI: resource),
                request: Request(argsBytes: args),
                outcome: Outcome(status: status, resultBytes: status == .success ? bytes : 0),
                policy: status == .denied ? Policy(decision: .deny) : Policy()
            )
        )
    }

    /// `perMinute` calls a minute of `tools` in turn, from minute `from` to `to`, by several members.
    mutating func routine(
        _ members: [String],
        tools: [String] = ["get_file_contents", "search_code", "create_issue"],
        minutes: Range<Int>,
        perMinute: Int = 2
    ) {
        for minute in minutes {
            for (m, member) in members.enumerated() {
                for k in 0..<perMinute {
                    let seconds = Double(minute * 60) + Double(k * 60 / perMinute) + Double(m % 7)
                    call(
                        member,
                        tools[(minute + k + m) % tools.count],
                        at: seconds,
                        bytes: Int64(1_000 + (minute * 37 + k * 101) % 9_000)
                    )
                }
            }
        }
    }

    /// The events in time order (stable for equal times).
    var sorted: [AuditEvent] {
        events.enumerated().sorted {
            ($0.element.occurredAt.microsecondsSinceEpoch, $0.offset) < (
                $1.element.occurredAt.microsecondsSinceEpoch, $1.offset
            )
        }.map(\.element)
    }
}

func alerts(_ events: [AuditEvent], settings: DetectionSettings = DetectionSettings()) -> [Alert] {
    var engine = DetectionEngine(settings: settings)
    return events.flatMap { engine.process($0) }
}

extension Array where Element == Alert {
    func of(_ detector: Detector) -> [Alert] { filter { $0.detector == detector } }
}
