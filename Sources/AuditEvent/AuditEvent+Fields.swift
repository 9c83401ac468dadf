// Each field of an event, read from and written to its copy-on-write box.
extension AuditEvent {
    /// Unique id from the gateway; the de-duplication key in every sink.
    @inlinable
    public var eventID: String {
        get { storage.fields.eventID }
        _modify {
            makeUnique()
            yield &storage.fields.eventID
        }
    }

    @inlinable
    public var kind: EventKind {
        get { storage.fields.kind }
        _modify {
            makeUnique()
            yield &storage.fields.kind
        }
    }

    @inlinable
    public var phase: Phase? {
        get { storage.fields.phase }
        _modify {
            makeUnique()
            yield &storage.fields.phase
        }
    }

    /// Event time at the gateway; every window uses it, never the wall clock.
    @inlinable
    public var occurredAt: Timestamp {
        get { storage.fields.occurredAt }
        _modify {
            makeUnique()
            yield &storage.fields.occurredAt
        }
    }

    @inlinable
    public var durationMs: Double? {
        get { storage.fields.durationMs }
        _modify {
            makeUnique()
            yield &storage.fields.durationMs
        }
    }

    @inlinable
    public var source: Source {
        get { storage.fields.source }
        _modify {
            makeUnique()
            yield &storage.fields.source
        }
    }

    @inlinable
    public var tenantID: String? {
        get { storage.fields.tenantID }
        _modify {
            makeUnique()
            yield &storage.fields.tenantID
        }
    }

    @inlinable
    public var actor: Actor {
        get { storage.fields.actor }
        _modify {
            makeUnique()
            yield &storage.fields.actor
        }
    }

    @inlinable
    public var session: Session {
        get { storage.fields.session }
        _modify {
            makeUnique()
            yield &storage.fields.session
        }
    }

    @inlinable
    public var target: Target {
        get { storage.fields.target }
        _modify {
            makeUnique()
            yield &storage.fields.target
        }
    }

    @inlinable
    public var request: Request {
        get { storage.fields.request }
        _modify {
            makeUnique()
            yield &storage.fields.request
        }
    }

    @inlinable
    public var outcome: Outcome {
        get { storage.fields.outcome }
        _modify {
            makeUnique()
            yield &storage.fields.outcome
        }
    }

    @inlinable
    public var policy: Policy {
        get { storage.fields.policy }
        _modify {
            makeUnique()
            yield &storage.fields.policy
        }
    }

    @inlinable
    public var cost: Cost {
        get { storage.fields.cost }
        _modify {
            makeUnique()
            yield &storage.fields.cost
        }
    }

    /// The detection object, required when `kind == .detection`.
    @inlinable
    public var detection: RawJSON? {
        get { storage.fields.detection }
        _modify {
            makeUnique()
            yield &storage.fields.detection
        }
    }

    /// What the pipeline derived (risk score, anomalies, attributes).
    @inlinable
    public var enrichment: RawJSON? {
        get { storage.fields.enrichment }
        _modify {
            makeUnique()
            yield &storage.fields.enrichment
        }
    }

    /// Where the pipeline received it (Kafka coordinates, ledger leaf index).
    @inlinable
    public var ingest: RawJSON? {
        get { storage.fields.ingest }
        _modify {
            makeUnique()
            yield &storage.fields.ingest
        }
    }

    /// Members the contract does not name, in the order they appeared.
    @inlinable
    public var unknownFields: [UnknownField] {
        get { storage.fields.unknownFields }
        _modify {
            makeUnique()
            yield &storage.fields.unknownFields
        }
    }

    /// The message bytes exactly as consumed; empty for an event built in code.
    @inlinable
    public var raw: [UInt8] {
        get { storage.fields.raw }
        _modify {
            makeUnique()
            yield &storage.fields.raw
        }
    }
}
