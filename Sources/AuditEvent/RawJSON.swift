/// A JSON value kept as minified text, for the parts of an event that
/// Countersign carries but does not interpret.
public struct RawJSON: Sendable, Hashable, CustomStringConvertible {
    /// Minified JSON text of one value.
    public var text: String

    @inlinable
    public init(text: String) {
        self.text = text
    }

    public var description: String { text }
}

/// A member the contract does not name, kept so that nothing is lost.
public struct UnknownField: Sendable, Hashable {
    /// The keys from the root to the member, for example `["actor", "department"]`.
    public var path: [String]
    /// The member's value as minified JSON text.
    public var value: RawJSON

    @inlinable
    public init(path: [String], value: RawJSON) {
        self.path = path
        self.value = value
    }
}
