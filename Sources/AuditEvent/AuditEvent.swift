/// One `mcp.audit/1` event: what an MCP gateway recorded about one call.
///
/// The decoded fields are the ones Countersign interprets; `raw` keeps the
/// message bytes exactly as consumed, because the ledger archives those and
/// never a re-encoding. Fields the contract does not name are kept verbatim in
/// `unknownFields` (forward compatibility), and the objects the pipeline or
/// the gateway may extend freely (`detection`, `enrichment`, `ingest`,
/// `request.args`) are kept as JSON text.
public struct AuditEvent: Sendable, Hashable {
    /// The schema identifier every event carries.
    public static let schemaIdentifier = "mcp.audit/1"

    /// The `occurred_at` values an event may carry: from the Unix epoch up to,
    /// not including, 2100-01-01T00:00:00Z. Every sink can store these
    /// (PostgreSQL's day partitions refuse year 0 and years past 9999), and an
    /// audit record outside them is a broken clock or a hostile sender, not
    /// history; a day partition per such date would also be created and never
    /// dropped by retention.
    public static let occurredAtRange =
        Timestamp(microsecondsSinceEpoch: 0)..<Timestamp(microsecondsSinceEpoch: 4_102_444_800_000_000)

    /// The range in words, for errors and dead-letter headers.
    public static let occurredAtRangeDescription =
        "must be from 1970-01-01T00:00:00Z up to (not including) 2100-01-01T00:00:00Z"

    /// The event's fields as one plain value, for code that builds or reads many at once.
    public struct Fields: Sendable, Hashable {
        /// Unique id from the gateway; the de-duplication key in every sink.
        public var eventID: String = ""
        public var kind: EventKind = .toolCall
        public var phase: Phase? = nil
        /// Event time at the gateway; every window uses it, never the wall clock.
        public var occurredAt: Timestamp = Timestamp(microsecondsSinceEpoch: 0)
        public var durationMs: Double? = nil
        public var source: Source = Source()
        public var tenantID: String? = nil
        public var actor: Actor = Actor()
        public var session: Session = Session()
        public var target: Target = Target()
        public var request: Request = Request()
        public var outcome: Outcome = Outcome()
        public var policy: Policy = Policy()
        public var cost: Cost = Cost()
        /// The detection object, required when `kind == .detection`.
        public var detection: RawJSON? = nil
        /// What the pipeline derived (risk score, anomalies, attributes).
        public var enrichment: RawJSON? = nil
        /// Where the pipeline received it (Kafka coordinates, ledger leaf index).
        public var ingest: RawJSON? = nil
        /// Members the contract does not name, in the order they appeared.
        public var unknownFields: [UnknownField] = []
        /// The message bytes exactly as consumed; empty for an event built in code.
        public var raw: [UInt8] = []

        @inlinable
        public init() {}
    }

    /// Copy-on-write storage: an event is about 750 bytes of fields, and it is
    /// handed from the decoder to detection and to every sink, so a copy must
    /// cost one retain, not one retain per string.
    @usableFromInline
    final class Storage: @unchecked Sendable {
        @usableFromInline var fields: Fields

        @inlinable
        init(_ fields: Fields) {
            self.fields = fields
        }
    }

    @usableFromInline var storage: Storage

    /// A blank event; decoders fill one in through ``build(_:)``.
    @inlinable
    public init() {
        storage = Storage(Fields())
    }

    /// Builds an event by filling its fields in place, in their final storage:
    /// the decoder's path, which must not copy 750 bytes per message.
    @inlinable
    public static func build<E: Error>(_ fill: (inout Fields) throws(E) -> Void) throws(E) -> AuditEvent {
        let event = AuditEvent()
        try fill(&event.storage.fields)
        return event
    }

    @inlinable
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Storage(storage.fields)
        }
    }

    public static func == (lhs: AuditEvent, rhs: AuditEvent) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        storage.fields.hash(into: &hasher)
    }

    @inlinable
    public init(
        eventID: String,
        kind: EventKind,
        phase: Phase? = nil,
        occurredAt: Timestamp,
        durationMs: Double? = nil,
        source: Source,
        tenantID: String? = nil,
        actor: Actor,
        session: Session = Session(),
        target: Target = Target(),
        request: Request = Request(),
        outcome: Outcome,
        policy: Policy = Policy(),
        cost: Cost = Cost(),
        detection: RawJSON? = nil,
        enrichment: RawJSON? = nil,
        ingest: RawJSON? = nil,
        unknownFields: [UnknownField] = [],
        raw: [UInt8] = []
    ) {
        var fields = Fields()
        fields.eventID = eventID
        fields.kind = kind
        fields.phase = phase
        fields.occurredAt = occurredAt
        fields.durationMs = durationMs
        fields.source = source
        fields.tenantID = tenantID
        fields.actor = actor
        fields.session = session
        fields.target = target
        fields.request = request
        fields.outcome = outcome
        fields.policy = policy
        fields.cost = cost
        fields.detection = detection
        fields.enrichment = enrichment
        fields.ingest = ingest
        fields.unknownFields = unknownFields
        fields.raw = raw
        storage = Storage(fields)
    }
}
