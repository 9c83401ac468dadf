import AuditEvent

/// Turns gateway records into `mcp.audit/1` events with one ``FieldMapping``.
///
/// Pure: the same record and mapping always give the same event, id
/// included. The event's `raw` is the record's canonical JSON wrapped with
/// where it came from (the format, the SHA-256 of its Kafka message, its
/// place in the message): the hot tier keeps that, the ledger keeps the
/// message itself (docs/ledger.md says how the two are tied).
public struct RecordMapper: Sendable {
    public let format: GatewayFormat
    public let mapping: FieldMapping
    let index: SourceIndex

    public init(format: GatewayFormat, mapping: FieldMapping) {
        self.format = format
        self.mapping = mapping
        index = SourceIndex(mapping)
    }

    /// Where a record came from, for its `raw` wrapper.
    public struct Origin: Sendable {
        public var messageSHA256: String
        public var record: Int

        public init(messageSHA256: String, record: Int) {
            self.messageSHA256 = messageSHA256
            self.record = record
        }
    }

    /// The event, nil for a record that is not an MCP call, or why it cannot be one.
    public func map(_ gatewayRecord: GatewayRecord, origin: Origin) throws(AuditEventError) -> AuditEvent? {
        let record = index.resolve(gatewayRecord)
        guard let kind = try kind(of: record) else { return nil }
        return try AuditEvent.build { (fields) throws(AuditEventError) in
            fields.kind = kind
            try fill(&fields, from: record)
            if fields.eventID.isEmpty {
                fields.eventID = eventID(fields: fields, record: gatewayRecord)
            }
            fields.raw = raw(gatewayRecord, origin: origin)
        }
    }

    /// Maps one record into a message's result: its event, its failure
    /// (with `deadLetterValue` as the dead letter's value; empty sends the
    /// whole message), or one more skipped record.
    public func add(
        _ record: GatewayRecord,
        origin: Origin,
        to decoded: inout DecodedMessage,
        deadLetterValue: [UInt8]
    ) {
        do throws(AuditEventError) {
            if let event = try map(record, origin: origin) {
                decoded.events.append(event)
            } else if mapping.otherRecords == .deadLetter {
                throw AuditEventError(.notAnMCPRecord, reason: "the record names no MCP call the mapping knows")
            } else {
                decoded.skipped += 1
            }
        } catch {
            decoded.failures.append(RecordFailure(record: origin.record, error: error, value: deadLetterValue))
        }
    }

    /// The kind the record's kind value names; a record with no kind value
    /// that names a tool is a tool call. Nil: not an MCP call.
    func kind(of record: ResolvedRecord) throws(AuditEventError) -> EventKind? {
        if let value = first(.kind, in: record)?.text {
            let word = value.lowercased()
            if let kind = mapping.kindWords[word] ?? FieldMapping.kind(ofMethod: value) { return kind }
            if let kind = EventKind(rawValue: word), kind != .detection { return kind }
            return nil
        }
        return first(.tool, in: record) == nil ? nil : .toolCall
    }

    /// The first non-empty value of the field's sources.
    func first(_ field: EventField, in record: ResolvedRecord) -> RecordValue? {
        record.values[field.ordinal]
    }

    func text(_ field: EventField, _ record: ResolvedRecord) -> String? {
        first(field, in: record)?.text
    }

    private func fill(_ fields: inout AuditEvent.Fields, from record: ResolvedRecord) throws(AuditEventError) {
        if let id = text(.eventID, record) {
            let problem = id.utf8.withContiguousStorageIfAvailable { Rules.checkEventID($0) } ?? nil
            if let problem { throw AuditEventError(.invalidValue, field: "event_id", reason: problem) }
            fields.eventID = id
        }
        fields.phase = text(.phase, record).flatMap { Phase(rawValue: $0.lowercased()) }
        fields.occurredAt = try occurredAt(record)
        fields.durationMs = try measure(.durationMs, record)

        fields.source.gateway = text(.gateway, record) ?? mapping.gateway
        fields.source.instanceID = text(.instanceID, record)
        fields.source.version = text(.version, record)
        fields.source.originalType = text(.originalType, record)
        fields.source.originalID = text(.originalID, record)
        fields.tenantID = text(.tenantID, record)

        if let id = text(.actorID, record) {
            fields.actor.id = id
            fields.actor.type = text(.actorType, record).flatMap { ActorType(rawValue: $0.lowercased()) }
        } else {
            fields.actor.id = "anonymous"
            fields.actor.type = .anonymous
        }
        fields.actor.display = text(.actorDisplay, record)
        fields.actor.agentID = text(.agentID, record)
        fields.actor.roles = first(.roles, in: record)?.list
        fields.actor.credentialID = text(.credentialID, record)
        fields.actor.clientName = text(.clientName, record)
        fields.actor.clientVersion = text(.clientVersion, record)
        fields.actor.sourceIP = text(.sourceIP, record)
        fields.actor.userAgent = text(.userAgent, record)

        fields.session.id = text(.sessionID, record)
        fields.session.correlationID = text(.correlationID, record)
        fields.session.requestID = text(.requestID, record)
        fields.session.traceID = text(.traceID, record)
        fields.session.spanID = text(.spanID, record)

        fields.target.serverID = text(.serverID, record)
        fields.target.method = text(.method, record) ?? FieldMapping.method(ofKind: fields.kind)
        fields.target.tool = text(.tool, record)
        fields.target.resourceURI = text(.resourceURI, record)
        fields.target.promptName = text(.promptName, record)
        fields.target.transport = text(.transport, record)
        if fields.kind.isMCPRequest, fields.target.method == nil {
            throw AuditEventError(.missingField, field: "target.method", reason: "the record names no MCP method")
        }
        if fields.kind == .toolCall, fields.target.tool == nil {
            throw AuditEventError(.missingField, field: "target.tool", reason: "the record names no tool")
        }

        if let hash = text(.argsSHA256, record) {
            guard let digest = SHA256Digest(hex: hash) else {
                throw AuditEventError(.invalidValue, field: "request.args_sha256", reason: "not 64 hex digits")
            }
            fields.request.argsSHA256 = digest
        }
        fields.request.argKeys = first(.argKeys, in: record)?.list
        fields.request.argsBytes = try count(.argsBytes, record)

        fields.outcome.errorType = text(.errorType, record)
        fields.outcome.status = status(record, errorType: fields.outcome.errorType)
        fields.outcome.resultBytes = try count(.resultBytes, record)
        fields.outcome.resultTokens = try count(.resultTokens, record)
        fields.outcome.errorMessage = text(.errorMessage, record).map {
            String(String.UnicodeScalarView($0.unicodeScalars.prefix(Rules.errorMessageMaxCharacters)))
        }
        fields.outcome.jsonrpcErrorCode = try integer(
            .jsonrpcErrorCode,
            record,
            in: Int64(Int32.min)...Int64(Int32.max)
        )
        fields.outcome.httpStatus = try integer(.httpStatus, record, in: Rules.httpStatusRange)

        fields.policy.decision = text(.policyDecision, record).flatMap { PolicyDecision(rawValue: $0.lowercased()) }
        if fields.policy.decision == nil, fields.outcome.status == .denied { fields.policy.decision = .deny }
        fields.policy.policyID = text(.policyID, record)
        fields.policy.policyVersion = text(.policyVersion, record)
        fields.policy.ruleID = text(.ruleID, record)
        fields.policy.reason = text(.policyReason, record)
        fields.cost.inputTokens = try measure(.inputTokens, record)
        fields.cost.outputTokens = try measure(.outputTokens, record)
    }

    /// The named status, else what the error type implies, else the
    /// mapping's default; a status word nobody listed is `unknown`.
    private func status(_ record: ResolvedRecord, errorType: String?) -> OutcomeStatus {
        if let word = text(.status, record) { return mapping.statusWords[word.lowercased()] ?? .unknown }
        guard let errorType else { return mapping.statusWhenSilent }
        let word = errorType.lowercased()
        if word == "tool_error" { return .toolError }
        if word.contains("timeout") || word.contains("timed_out") { return .timeout }
        return mapping.statusWords[word] ?? .protocolError
    }

    private func occurredAt(_ record: ResolvedRecord) throws(AuditEventError) -> Timestamp {
        guard let value = first(.occurredAt, in: record) else {
            throw AuditEventError(.missingField, field: "occurred_at", reason: "the record carries no time")
        }
        guard let time = RecordTime.parse(value) else {
            throw AuditEventError(.invalidValue, field: "occurred_at", reason: "not a date-time or epoch time")
        }
        guard AuditEvent.occurredAtRange.contains(time) else {
            throw AuditEventError(
                .timestampOutOfRange,
                field: "occurred_at",
                reason: AuditEvent.occurredAtRangeDescription
            )
        }
        return time
    }

    private func measure(_ field: EventField, _ record: ResolvedRecord) throws(AuditEventError) -> Double? {
        guard let value = first(field, in: record) else { return nil }
        guard let number = value.number, number >= 0 else {
            throw AuditEventError(.invalidValue, field: field.rawValue, reason: "must be a finite number >= 0")
        }
        return number
    }

    private func count(_ field: EventField, _ record: ResolvedRecord) throws(AuditEventError) -> Int64? {
        try integer(field, record, in: 0...Int64.max)
    }

    private func integer(
        _ field: EventField,
        _ record: ResolvedRecord,
        in range: ClosedRange<Int64>
    ) throws(AuditEventError) -> Int64? {
        guard let value = first(field, in: record) else { return nil }
        let number: Int64?
        switch value {
        case .integer(let integer): number = integer
        case .double(let double): number = double.rounded() == double && abs(double) < 9e18 ? Int64(double) : nil
        case .string(let text): number = Int64(text)
        default: number = nil
        }
        guard let number, range.contains(number) else {
            throw AuditEventError(
                .invalidValue,
                field: field.rawValue,
                reason: "must be an integer in \(range.lowerBound)...\(range.upperBound)"
            )
        }
        return number
    }

    /// Version 5 UUID over the gateway, its instance and the record's
    /// canonical JSON: a re-delivered or re-exported record gets the same id.
    func eventID(fields: AuditEvent.Fields, record: GatewayRecord) -> String {
        var name = Array("countersign-record/1\n".utf8)
        name.append(contentsOf: fields.source.gateway.utf8)
        name.append(0x0A)
        name.append(contentsOf: (fields.source.instanceID ?? "").utf8)
        name.append(0x0A)
        return NameBasedUUID.version5(parts: [name, record.canonical])
    }

    /// `{"countersign_source":{...},"record":<canonical>}`: valid JSON for the hot tier.
    func raw(_ record: GatewayRecord, origin: Origin) -> [UInt8] {
        var writer = JSONWriter(capacity: record.canonical.count + 160)
        writer.beginObject()
        writer.beginObject("countersign_source")
        writer.field("format", format.rawValue)
        writer.field("message_sha256", origin.messageSHA256)
        writer.field("record_index", Int64(origin.record))
        writer.endObject()
        writer.name("record")
        writer.value(rawBytes: record.canonical)
        writer.endObject()
        return writer.bytes
    }
}
