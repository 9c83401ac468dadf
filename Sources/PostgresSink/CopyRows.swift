import AuditEvent
import Detection
import Pipeline

/// Rows in COPY's text format: tab-separated columns, `\N` for NULL,
/// backslash, tab, newline and carriage return escaped. Built by hand
/// because the bytes go straight to libpq: no intermediate strings.
struct CopyText {
    var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    @inline(__always)
    mutating func separator() { bytes.append(0x09) }

    @inline(__always)
    mutating func endRow() { bytes.append(0x0A) }

    mutating func null() { bytes += [0x5C, 0x4E] }

    /// Copies runs of ordinary bytes at once, escaping only the four that
    /// COPY's text format reserves: most values have none, and the raw
    /// event (most of a row's bytes) has few.
    mutating func text(_ utf8: UnsafeBufferPointer<UInt8>) {
        var start = 0
        for position in 0..<utf8.count {
            let byte = utf8[position]
            guard byte == 0x5C || byte == 0x09 || byte == 0x0A || byte == 0x0D else { continue }
            if start < position { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<position])) }
            bytes.append(0x5C)
            bytes.append(byte == 0x5C ? 0x5C : byte == 0x09 ? 0x74 : byte == 0x0A ? 0x6E : 0x72)
            start = position + 1
        }
        if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
    }

    mutating func text(_ utf8: [UInt8]) {
        utf8.withUnsafeBufferPointer { text($0) }
    }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { text($0) }
    }

    mutating func integer<T: BinaryInteger>(_ value: T?) {
        guard let value else { return null() }
        bytes += String(value).utf8
    }

    mutating func double(_ value: Double?) {
        guard let value, value.isFinite else { return null() }
        bytes += value.description.utf8
    }
}

/// The columns of `events` in table order, for COPY.
enum EventRows {
    static let columns =
        "event_id, occurred_at, event_kind, tenant_id, actor_id, agent_id, source_ip, gateway, server_id, tool, "
        + "method, status, result_bytes, duration_ms, policy_decision, session_id, kafka_topic, kafka_partition, "
        + "kafka_offset, ledger_index, raw"

    static func encode(_ events: ArraySlice<ConsumedEvent>) -> [UInt8] {
        var out = CopyText(capacity: events.count * 900)
        for consumed in events {
            let e = consumed.event
            out.text(e.eventID)
            out.separator()
            out.text(e.occurredAt.rfc3339)
            out.separator()
            out.text(e.kind.rawValue)
            out.separator()
            out.text(e.tenantID)
            out.separator()
            out.text(e.actor.id)
            out.separator()
            out.text(e.actor.agentID)
            out.separator()
            out.text(e.actor.sourceIP)
            out.separator()
            out.text(e.source.gateway)
            out.separator()
            out.text(e.target.serverID)
            out.separator()
            out.text(e.target.tool)
            out.separator()
            out.text(e.target.method)
            out.separator()
            out.text(e.outcome.status.rawValue)
            out.separator()
            out.integer(e.outcome.resultBytes)
            out.separator()
            out.double(e.durationMs)
            out.separator()
            out.text(e.policy.decision?.rawValue)
            out.separator()
            out.text(e.session.id)
            out.separator()
            out.text(consumed.topic)
            out.separator()
            out.integer(consumed.partition)
            out.separator()
            out.integer(consumed.offset)
            out.separator()
            out.integer(consumed.ledgerIndex.map { Int64($0) })
            out.separator()
            if e.raw.isEmpty { out.text(e.jsonBytes()) } else { out.text(e.raw) }
            out.endRow()
        }
        return out.bytes
    }
}

/// The columns of `alerts`, for COPY into the staging table.
enum AlertRows {
    static let columns =
        "alert_id, occurred_at, detector, scope, key, tenant_id, actor_id, tool, severity, score, observed, "
        + "baseline_mean, baseline_spread, window_start, window_end, contributing_event_ids, detection"

    static func encode(_ alerts: [Alert]) -> [UInt8] {
        var out = CopyText(capacity: alerts.count * 1_000)
        for alert in alerts {
            out.text(alert.alertID)
            out.separator()
            out.text(alert.at.rfc3339)
            out.separator()
            out.text(alert.detector.rawValue)
            out.separator()
            out.text(alert.scope.rawValue)
            out.separator()
            out.text(alert.key)
            out.separator()
            out.text(alert.tenant)
            out.separator()
            out.text(alert.member)
            out.separator()
            out.text(alert.tool)
            out.separator()
            out.integer(alert.severity)
            out.separator()
            out.double(alert.score)
            out.separator()
            out.double(alert.observed)
            out.separator()
            out.double(alert.baselineMean)
            out.separator()
            out.double(alert.baselineSpread)
            out.separator()
            out.text(alert.windowStart.rfc3339)
            out.separator()
            out.text(alert.windowEnd.rfc3339)
            out.separator()
            // A text[] literal: {"id1","id2"}, each element quoted and escaped.
            var array: [UInt8] = [UInt8(ascii: "{")]
            for (index, id) in alert.contributingEventIDs.enumerated() {
                if index > 0 { array.append(UInt8(ascii: ",")) }
                array.append(UInt8(ascii: "\""))
                for byte in id.utf8 {
                    if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { array.append(UInt8(ascii: "\\")) }
                    array.append(byte)
                }
                array.append(UInt8(ascii: "\""))
            }
            array.append(UInt8(ascii: "}"))
            out.text(array)
            out.separator()
            out.text(alert.detectionJSON.text)
            out.endRow()
        }
        return out.bytes
    }
}
