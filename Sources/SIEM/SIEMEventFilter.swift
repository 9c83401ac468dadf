import AuditEvent

/// Which events (besides alerts) go to the SIEM when `send` is `all`: an
/// event passes when every list given names its value; a list left out
/// passes everything.
public struct SIEMEventFilter: Sendable, Hashable {
    public var kinds: Set<EventKind>?
    public var statuses: Set<OutcomeStatus>?
    public var tenants: Set<String>?
    public var tools: Set<String>?

    public init(
        kinds: Set<EventKind>? = nil,
        statuses: Set<OutcomeStatus>? = nil,
        tenants: Set<String>? = nil,
        tools: Set<String>? = nil
    ) {
        self.kinds = kinds
        self.statuses = statuses
        self.tenants = tenants
        self.tools = tools
    }

    public func passes(_ event: AuditEvent) -> Bool {
        if let kinds, !kinds.contains(event.kind) { return false }
        if let statuses, !statuses.contains(event.outcome.status) { return false }
        if let tenants, !tenants.contains(event.tenantID ?? "") { return false }
        if let tools, !tools.contains(event.target.tool ?? "") { return false }
        return true
    }
}
