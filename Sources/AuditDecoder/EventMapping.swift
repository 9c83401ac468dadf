import AuditEvent
import CSimdjson

// Maps the flattened document onto the mcp.audit/1 model, one function per object
// of the contract. Each walks its members once, in message order.

/// Which required top-level members a message carried.
private struct Seen {
    var schema = false
    var eventID = false
    var kind = false
    var occurredAt = false
    var source = false
    var actor = false
    var outcome = false
}

private let rootNames = [
    "schema", "event_id", "event_kind", "phase", "occurred_at", "duration_ms", "source", "tenant_id", "actor",
    "session", "target", "request", "outcome", "policy", "cost", "detection", "enrichment", "ingest",
]
private let rootKeys = KeyTable(rootNames)

/// Every member name the contract defines, at any level (for error paths).
let contractMemberNames = Set(rootNames + ObjectNames.all)

private let schemaBytes: StaticString = "mcp.audit/1"

extension TapeReader {
    /// Fills `event` from the document. Sub-objects are read in place, so the
    /// event (about a kilobyte of fields) is never copied while decoding.
    func readEvent(into event: inout AuditEvent.Fields) throws(AuditEventError) {
        guard tag(1) == Tag.object else {
            throw AuditEventError(.notAnObject, reason: "an event must be a JSON object")
        }
        var seen = Seen()
        var serverIDPresent = false

        var seenKeys: UInt32 = 0
        var key = 2
        let end = closing(1)
        while key < end {
            let child = key + 1
            let type = tag(child)
            switch try member(key, rootKeys, &seenKeys) {
            case 0:
                guard type == Tag.string else { throw wrongType("schema", expected: "a string") }
                guard equals(child, schemaBytes) else {
                    throw AuditEventError(.unsupportedSchema, field: "schema", reason: "only mcp.audit/1 is supported")
                }
                seen.schema = true
            case 1:
                guard type == Tag.string else {
                    if type == Tag.null { throw missing("event_id") }
                    throw wrongType("event_id", expected: "a string")
                }
                if let problem = Rules.checkEventID(bytes(child)) { throw invalid("event_id", problem) }
                event.eventID = text(child)
                seen.eventID = true
            case 2:
                guard let kind = try optionalEnum(child, "event_kind", EventKind.table) else {
                    throw missing("event_kind")
                }
                event.kind = kind
                seen.kind = true
            case 3:
                event.phase = try optionalEnum(child, "phase", Phase.table)
            case 4:
                guard type == Tag.string else {
                    if type == Tag.null { throw missing("occurred_at") }
                    throw wrongType("occurred_at", expected: "an RFC 3339 string")
                }
                switch Timestamp.parse(rfc3339: bytes(child)) {
                case .success(let time):
                    guard AuditEvent.occurredAtRange.contains(time) else {
                        throw AuditEventError(
                            .timestampOutOfRange,
                            field: "occurred_at",
                            reason: AuditEvent.occurredAtRangeDescription
                        )
                    }
                    event.occurredAt = time
                case .failure(let failure): throw invalid("occurred_at", failure.rawValue)
                }
                seen.occurredAt = true
            case 5:
                event.durationMs = try optionalMeasure(child, "duration_ms")
            case 6:
                guard let index = try optionalObject(child, "source") else { throw missing("source") }
                try readSource(index, into: &event.source, &event.unknownFields)
                seen.source = true
            case 7:
                event.tenantID = try optionalString(child, "tenant_id")
            case 8:
                guard let index = try optionalObject(child, "actor") else { throw missing("actor") }
                try readActor(index, into: &event.actor, &event.unknownFields)
                seen.actor = true
            case 9:
                if let index = try optionalObject(child, "session") {
                    try readSession(index, into: &event.session, &event.unknownFields)
                }
            case 10:
                if let index = try optionalObject(child, "target") {
                    serverIDPresent = try readTarget(index, into: &event.target, &event.unknownFields)
                }
            case 11:
                if let index = try optionalObject(child, "request") {
                    try readRequest(index, into: &event.request, &event.unknownFields)
                }
            case 12:
                guard let index = try optionalObject(child, "outcome") else { throw missing("outcome") }
                try readOutcome(index, into: &event.outcome, &event.unknownFields)
                seen.outcome = true
            case 13:
                if let index = try optionalObject(child, "policy") {
                    try readPolicy(index, into: &event.policy, &event.unknownFields)
                }
            case 14:
                if let index = try optionalObject(child, "cost") {
                    try readCost(index, into: &event.cost, &event.unknownFields)
                }
            case 15:
                if let index = try optionalObject(child, "detection") { event.detection = try raw(index, "detection") }
            case 16:
                if let index = try optionalObject(child, "enrichment") {
                    event.enrichment = try raw(index, "enrichment")
                }
            case 17:
                if let index = try optionalObject(child, "ingest") { event.ingest = try raw(index, "ingest") }
            default:
                try keepUnknown(key, parent: nil, &event.unknownFields)
            }
            key = after(child)
        }

        guard seen.schema else { throw missing("schema") }
        guard seen.eventID else { throw missing("event_id") }
        guard seen.kind else { throw missing("event_kind") }
        guard seen.occurredAt else { throw missing("occurred_at") }
        guard seen.source else { throw missing("source") }
        guard seen.actor else { throw missing("actor") }
        guard seen.outcome else { throw missing("outcome") }
        if event.kind.isMCPRequest, event.target.method == nil { throw missing("target.method") }
        if event.kind == .toolCall {
            if !serverIDPresent { throw missing("target.server_id") }
            if event.target.tool == nil { throw missing("target.tool") }
        }
        if event.kind == .detection, event.detection == nil { throw missing("detection") }
    }

    /// The table position of a member's key, or nil for a key the contract
    /// does not name; a known key seen twice in one object is an error.
    @inline(__always)
    func member(_ key: Int, _ table: KeyTable, _ seen: inout UInt32) throws(AuditEventError) -> Int? {
        guard let position = table.index(of: bytes(key)) else { return nil }
        let bit: UInt32 = 1 << UInt32(position)
        if seen & bit != 0 { throw duplicate(key + 1) }
        seen |= bit
        return position
    }

    /// Keeps a member the contract does not name, verbatim (minified); an
    /// unknown key repeated in one object is an error like a known one.
    func keepUnknown(_ key: Int, parent: String?, _ unknown: inout [UnknownField]) throws(AuditEventError) {
        let name = text(key)
        let path = parent.map { [$0, name] } ?? [name]
        if unknown.contains(where: { $0.path == path }) { throw duplicate(key + 1) }
        unknown.append(UnknownField(path: path, value: try raw(key + 1, parent ?? "(root)")))
    }
}
