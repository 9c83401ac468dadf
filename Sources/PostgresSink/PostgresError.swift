/// A failure talking to PostgreSQL: what was being done, the SQLSTATE when
/// the server gave one, and the server's primary message. Messages never
/// carry row data: COPY errors name the column and line, not the value
/// (libpq's CONTEXT/DETAIL fields, which can quote values, are not kept).
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    /// Five-character SQLSTATE, e.g. 23505 (unique violation), 08006 (connection failure).
    public var sqlState: String?
    public var message: String

    public init(_ operation: String, sqlState: String? = nil, message: String) {
        self.operation = operation
        self.sqlState = sqlState
        self.message = message
    }

    public var description: String {
        "\(operation): \(message)" + (sqlState.map { " (SQLSTATE \($0))" } ?? "")
    }

    /// The connection is gone or unusable: reconnect and retry the batch.
    public var isConnectionFailure: Bool {
        sqlState == nil || sqlState!.hasPrefix("08") || sqlState == "57P01" || sqlState == "57P02"
            || sqlState == "57P03"
    }

    /// The data of some row was refused (class 22 data exception, or a
    /// check/not-null violation): isolate the row, the rest can go in.
    public var isRowRejection: Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("22") || sqlState == "23502" || sqlState == "23514"
    }
}
