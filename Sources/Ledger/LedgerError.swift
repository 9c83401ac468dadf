/// A ledger operation that failed; the description names the object or
/// file at fault and never holds entry bytes or key material.
public struct LedgerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
