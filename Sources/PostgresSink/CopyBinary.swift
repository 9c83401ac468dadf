import AuditEvent
import Pipeline

/// Rows in COPY's binary format: a length before every value, integers and
/// floats in network order, timestamps as microseconds since 2000-01-01.
/// The server parses no text (timestamps, numbers, escapes) and we escape
/// nothing: the raw event goes as one copy of its bytes. Measured against
/// the text format, it lowers the server's cost per row (BENCHMARKS.md).
struct CopyBinary {
    var bytes: [UInt8] = []

    /// PostgreSQL's epoch (2000-01-01) in Unix microseconds.
    static let epochOffset: Int64 = 946_684_800_000_000

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
        // Signature, flags (no OIDs), no header extension.
        bytes += [0x50, 0x47, 0x43, 0x4F, 0x50, 0x59, 0x0A, 0xFF, 0x0D, 0x0A, 0x00]
        int32(0)
        int32(0)
    }

    mutating func startRow(columns: Int16) { int16(columns) }

    mutating func finish() { int16(-1) }

    mutating func null() { int32(-1) }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        value.withUTF8 { utf8 in
            int32(Int32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func text(_ utf8: [UInt8]) {
        int32(Int32(utf8.count))
        bytes += utf8
    }

    mutating func int4(_ value: Int32?) {
        guard let value else { return null() }
        int32(4)
        int32(value)
    }

    mutating func int8(_ value: Int64?) {
        guard let value else { return null() }
        int32(8)
        int64(value)
    }

    mutating func float8(_ value: Double?) {
        guard let value, value.isFinite else { return null() }
        int32(8)
        int64(Int64(bitPattern: value.bitPattern))
    }

    mutating func timestamp(_ value: Timestamp) {
        int32(8)
        int64(value.microsecondsSinceEpoch &- Self.epochOffset)
    }

    private mutating func int16(_ value: Int16) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    private mutating func int32(_ value: Int32) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }

    private mutating func int64(_ value: Int64) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}

extension EventRows {
    /// The events of a slice in COPY's binary format, columns as ``columns``.
    static func binary(_ events: ArraySlice<ConsumedEvent>) -> [UInt8] {
        var out = CopyBinary(capacity: 64 + events.count * 1_000)
        for consumed in events {
            let e = consumed.event
            out.startRow(columns: 21)
            out.text(e.eventID)
            out.timestamp(e.occurredAt)
            out.text(e.kind.rawValue)
            out.text(e.tenantID)
            out.text(e.actor.id)
            out.text(e.actor.agentID)
            out.text(e.actor.sourceIP)
            out.text(e.source.gateway)
            out.text(e.target.serverID)
            out.text(e.target.tool)
            out.text(e.target.method)
            out.text(e.outcome.status.rawValue)
            out.int8(e.outcome.resultBytes)
            out.float8(e.durationMs)
            out.text(e.policy.decision?.rawValue)
            out.text(e.session.id)
            out.text(consumed.topic)
            out.int4(consumed.partition)
            out.int8(consumed.offset)
            out.int8(consumed.ledgerIndex.map { Int64($0) })
            out.text(e.raw.isEmpty ? e.jsonBytes() : e.raw)
        }
        out.finish()
        return out.bytes
    }
}
