/// A failed request to object storage. Descriptions name the operation,
/// the object and the server's error code, never a credential or a body.
public struct S3Error: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// The HTTP status, 0 when no answer came (connection, TLS, timeout).
    public var status: Int

    init(_ description: String, status: Int = 0) {
        self.description = description
        self.status = status
    }
}
