import AuditEvent

/// One value a gateway recorded, in the few shapes every source format can
/// express: OTLP's AnyValue, a JSON member, a CEF extension value.
public enum RecordValue: Sendable, Hashable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case boolean(Bool)
    case strings([String])
    /// A time the record's metadata gives (`@time`, `@observed_time`).
    case timestamp(Timestamp)
    /// Anything else (a list of mixed values, bytes, a nested map kept whole), as minified JSON.
    case json(String)

    /// The value as text, for fields that are strings in `mcp.audit/1`
    /// (a gateway may send a member id as a number).
    public var text: String? {
        switch self {
        case .string(let value): value
        case .integer(let value): String(value)
        case .double(let value): value.isFinite ? String(value) : nil
        case .boolean(let value): value ? "true" : "false"
        case .strings(let values): values.joined(separator: ",")
        case .timestamp(let time): time.rfc3339
        case .json: nil
        }
    }

    /// The value as a number: integers, doubles and numeric strings.
    public var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value): value.isFinite ? value : nil
        case .string(let value): Double(value).flatMap { $0.isFinite ? $0 : nil }
        default: nil
        }
    }

    /// The value as a list of strings: an array, or a comma-separated string.
    public var list: [String]? {
        switch self {
        case .strings(let values): values
        case .string(let value):
            value.split(separator: ",").map { String($0.drop { $0 == " " }) }.filter { !$0.isEmpty }
        default: nil
        }
    }
}

/// Named values in the order they came: a record has a dozen or two, so a
/// scan beats hashing every name into a dictionary (the mapping reads each
/// name once through ``SourceIndex``).
public struct RecordValues: Sendable, Sequence {
    public private(set) var pairs: [(name: String, value: RecordValue)] = []

    public init() {}

    public subscript(name: String) -> RecordValue? {
        get { pairs.first { $0.name == name }?.value }
        set {
            if let index = pairs.firstIndex(where: { $0.name == name }) {
                if let newValue { pairs[index].value = newValue } else { pairs.remove(at: index) }
            } else if let newValue {
                pairs.append((name, newValue))
            }
        }
    }

    /// Adds a pair without looking for the name (``firstRepeatedName`` finds repeats).
    public mutating func append(_ name: String, _ value: RecordValue) { pairs.append((name, value)) }

    public mutating func reserveCapacity(_ count: Int) { pairs.reserveCapacity(count) }

    public var count: Int { pairs.count }

    /// The first name that appears twice, or nil.
    public func firstRepeatedName() -> String? {
        if pairs.count <= 48 {
            for index in pairs.indices.dropFirst() {
                let name = pairs[index].name
                for earlier in 0..<index where pairs[earlier].name == name { return name }
            }
            return nil
        }
        var seen = Set<String>(minimumCapacity: pairs.count)
        for pair in pairs where !seen.insert(pair.name).inserted { return pair.name }
        return nil
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: RecordValue)]> { pairs.makeIterator() }
}

/// One gateway record before mapping: named values and the record's own
/// metadata, from any source format.
///
/// Values are looked up by name in ``attributes`` first, then in
/// ``resource`` (OTLP's resource attributes: who sent the batch). The names
/// `@time`, `@observed_time`, `@body`, `@event_name`, `@severity`,
/// `@trace_id` and `@span_id` name the record's metadata, so that a mapping
/// in a pipeline file can use them like attributes.
public struct GatewayRecord: Sendable {
    public var attributes = RecordValues()
    public var resource = RecordValues()
    /// The time the source gives for the record (event or export time: docs/inputs.md says which).
    public var time: Timestamp?
    /// When a collector first saw the record (OTLP `observed_time_unix_nano`).
    public var observedTime: Timestamp?
    public var body: RecordValue?
    public var eventName: String?
    public var severity: String?
    public var traceID: String?
    public var spanID: String?
    /// Canonical JSON of the record as received: what the hot tier keeps and
    /// what the deterministic event id is computed over.
    public var canonical: [UInt8] = []

    public init() {}

    /// The value called `name`, or nil.
    public func value(_ name: String) -> RecordValue? {
        if name.utf8.first == UInt8(ascii: "@"), let value = metadata(name) { return value }
        return attributes[name] ?? resource[name]
    }

    /// The record's metadata by its `@` name; nil for other names.
    func metadata(_ name: String) -> RecordValue? {
        switch name {
        case "@time": time.map { .timestamp($0) }
        case "@observed_time": observedTime.map { .timestamp($0) }
        case "@body": body
        case "@event_name": eventName.map { .string($0) }
        case "@severity": severity.map { .string($0) }
        case "@trace_id": traceID.map { .string($0) }
        case "@span_id": spanID.map { .string($0) }
        default: nil
        }
    }
}

/// What one message decoded to: its events, the records refused one by one
/// (the rest of the message still counts), and how many records were not
/// MCP calls and were left out.
public struct DecodedMessage: Sendable {
    public var events: [AuditEvent]
    public var failures: [RecordFailure]
    /// Records the mapping left out (not MCP calls); the ledger still holds them in the message.
    public var skipped: Int

    public init(events: [AuditEvent] = [], failures: [RecordFailure] = [], skipped: Int = 0) {
        self.events = events
        self.failures = failures
        self.skipped = skipped
    }
}

/// A record of a message that could not become an event.
public struct RecordFailure: Sendable {
    /// The record's place in its message (0 for formats with one record per message).
    public var record: Int
    public var error: AuditEventError
    /// The record's canonical JSON (the dead letter's value), or empty to send the whole message.
    public var value: [UInt8]

    public init(record: Int, error: AuditEventError, value: [UInt8]) {
        self.record = record
        self.error = error
        self.value = value
    }
}
