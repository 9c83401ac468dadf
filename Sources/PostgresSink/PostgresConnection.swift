import Blocking
import CLibPQ
import Logging

/// One libpq connection. One instance owns one `PGconn` and closes it in
/// `deinit`; every call blocks inside libpq, so it runs on the connection's
/// own serial queue, never on the cooperative pool.
public final class PostgresConnection: @unchecked Sendable {
    private let connection: OpaquePointer
    private let blocking = BlockingQueue(label: "countersign.postgres")

    /// Connects with a libpq connection string (empty: the PG* environment
    /// variables alone). TLS settings (`sslmode`, `sslrootcert`, ...) pass through.
    public static func connect(_ conninfo: String) async throws(PostgresError) -> PostgresConnection {
        let queue = BlockingQueue(label: "countersign.postgres.connect")
        let result: Result<UncheckedPointer, PostgresError> = await queue.run {
            guard let connection = PQconnectdb(conninfo) else {
                return .failure(PostgresError("connecting", message: "out of memory"))
            }
            guard PQstatus(connection) == CONNECTION_OK else {
                let message = Self.firstLine(PQerrorMessage(connection))
                PQfinish(connection)
                return .failure(PostgresError("connecting", message: message))
            }
            // Server notices (`relation already exists, skipping`) go to our
            // logger at debug instead of libpq's raw `NOTICE:` lines on stderr.
            PQsetNoticeProcessor(
                connection,
                { _, message in
                    guard let message else { return }
                    PostgresConnection.notices.debug(
                        "\(PostgresConnection.firstLine(message))",
                        metadata: ["source": "postgresql"]
                    )
                },
                nil
            )
            return .success(UncheckedPointer(pointer: connection))
        }
        return PostgresConnection(try result.get().pointer)
    }

    /// Made at first use, after the command set up logging.
    static let notices = Logger(label: "postgresql")

    private init(_ connection: OpaquePointer) {
        self.connection = connection
    }

    deinit { PQfinish(connection) }

    /// Runs SQL without parameters (one or more statements); returns the rows
    /// of the last one as text (nil for NULL).
    @discardableResult
    public func execute(_ sql: String) async throws(PostgresError) -> [[String?]] {
        let connection = UncheckedPointer(pointer: self.connection)
        let result: Result<[[String?]], PostgresError> = await blocking.run {
            Self.collect(PQexec(connection.pointer, sql), connection.pointer, "executing SQL")
        }
        return try result.get()
    }

    /// Runs one statement with text parameters ($1, $2, ...).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [String?]) async throws(PostgresError) -> [[String?]] {
        let connection = UncheckedPointer(pointer: self.connection)
        let result: Result<[[String?]], PostgresError> = await blocking.run {
            let copies: [UnsafeMutablePointer<CChar>?] = parameters.map { $0.map { strdup($0) } ?? nil }
            defer { for pointer in copies { free(pointer) } }
            let values: [UnsafePointer<CChar>?] = copies.map { $0.map { UnsafePointer($0) } }
            let raw = values.withUnsafeBufferPointer { buffer in
                PQexecParams(connection.pointer, sql, Int32(buffer.count), nil, buffer.baseAddress, nil, nil, 0)
            }
            return Self.collect(raw, connection.pointer, "executing SQL")
        }
        return try result.get()
    }

    /// Runs one statement whose parameters are text or bytes (sent in binary,
    /// for bytea); returns each value's bytes, as text or in PostgreSQL's
    /// binary format (`binaryResults`: bytea as is, integers big-endian).
    @discardableResult
    public func execute(
        _ sql: String,
        values: [PostgresValue],
        binaryResults: Bool = false
    ) async throws(PostgresError) -> [[[UInt8]?]] {
        let connection = UncheckedPointer(pointer: self.connection)
        let result: Result<[[[UInt8]?]], PostgresError> = await blocking.run {
            let buffers: [[UInt8]] = values.map { value in
                switch value {
                case .text(let text): Array(text.utf8) + [0]
                case .bytes(let bytes): bytes
                }
            }
            // Copies libpq reads from, alive until the call returns.
            let copies = buffers.map { buffer in
                let copy = UnsafeMutablePointer<CChar>.allocate(capacity: max(1, buffer.count))
                buffer.withUnsafeBytes { bytes in
                    if let base = bytes.baseAddress {
                        UnsafeMutableRawPointer(copy).copyMemory(from: base, byteCount: bytes.count)
                    }
                }
                return copy
            }
            defer { for copy in copies { copy.deallocate() } }
            let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
            let lengths = buffers.map { Int32($0.count) }
            let formats: [Int32] = values.map { if case .bytes = $0 { 1 } else { 0 } }
            let raw = PQexecParams(
                connection.pointer,
                sql,
                Int32(pointers.count),
                nil,
                pointers,
                lengths,
                formats,
                binaryResults ? 1 : 0
            )
            defer { PQclear(raw) }
            let status = PQresultStatus(raw)
            guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
                return .failure(Self.error(raw, connection.pointer, "executing SQL"))
            }
            var rows: [[[UInt8]?]] = []
            for row in 0..<PQntuples(raw) {
                rows.append(
                    (0..<PQnfields(raw)).map { column in
                        guard PQgetisnull(raw, row, column) == 0, let value = PQgetvalue(raw, row, column) else {
                            return nil
                        }
                        let count = Int(PQgetlength(raw, row, column))
                        return value.withMemoryRebound(to: UInt8.self, capacity: count) {
                            Array(UnsafeBufferPointer(start: $0, count: count))
                        }
                    }
                )
            }
            return .success(rows)
        }
        return try result.get()
    }

    /// `COPY ... FROM STDIN` with `data` in the statement's format, in one
    /// round of copy messages; returns the rows the server reports copied.
    public func copy(_ statement: String, data: [UInt8]) async throws(PostgresError) -> Int {
        let connection = UncheckedPointer(pointer: self.connection)
        let result: Result<Int, PostgresError> = await blocking.run {
            let start = PQexec(connection.pointer, statement)
            let status = PQresultStatus(start)
            if status != PGRES_COPY_IN {
                let error = Self.error(start, connection.pointer, "starting COPY")
                PQclear(start)
                return .failure(error)
            }
            PQclear(start)
            var offset = 0
            // Chunks of 1 MiB: libpq buffers each before sending.
            while offset < data.count {
                let count = Swift.min(1 << 20, data.count - offset)
                let sent = data.withUnsafeBufferPointer { buffer in
                    buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        PQputCopyData(connection.pointer, $0 + offset, Int32(count))
                    }
                }
                if sent != 1 {
                    return .failure(
                        PostgresError("sending COPY data", message: Self.firstLine(PQerrorMessage(connection.pointer)))
                    )
                }
                offset += count
            }
            if PQputCopyEnd(connection.pointer, nil) != 1 {
                return .failure(
                    PostgresError("ending COPY", message: Self.firstLine(PQerrorMessage(connection.pointer)))
                )
            }
            var outcome: Result<Int, PostgresError> = .success(0)
            while let end = PQgetResult(connection.pointer) {
                if PQresultStatus(end) == PGRES_COMMAND_OK {
                    if case .success = outcome { outcome = .success(Int(String(cString: PQcmdTuples(end))) ?? 0) }
                } else if case .success = outcome {
                    outcome = .failure(Self.error(end, connection.pointer, "copying rows"))
                }
                PQclear(end)
            }
            return outcome
        }
        return try result.get()
    }

    /// Whether the connection is still usable (false after the server went away).
    public var isHealthy: Bool { PQstatus(connection) == CONNECTION_OK }

    // MARK: - Results

    private static func collect(
        _ result: OpaquePointer?,
        _ connection: OpaquePointer,
        _ operation: String
    ) -> Result<[[String?]], PostgresError> {
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            return .failure(error(result, connection, operation))
        }
        var rows: [[String?]] = []
        let count = PQntuples(result)
        let columns = PQnfields(result)
        for row in 0..<count {
            rows.append(
                (0..<columns).map { column in
                    PQgetisnull(result, row, column) == 1 ? nil : String(cString: PQgetvalue(result, row, column))
                }
            )
        }
        return .success(rows)
    }

    private static func error(
        _ result: OpaquePointer?,
        _ connection: OpaquePointer,
        _ operation: String
    )
        -> PostgresError
    {
        guard let result else {
            return PostgresError(operation, message: firstLine(PQerrorMessage(connection)))
        }
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        // The primary message only (DETAIL and CONTEXT can quote row values),
        // cut before any quoted value: `invalid input syntax for type json: "..."`.
        var primary = PQresultErrorField(result, Int32(UInt8(ascii: "M"))).map { String(cString: $0) }
        if let text = primary, let quote = text.range(of: ": \"") { primary = String(text[..<quote.lowerBound]) }
        return PostgresError(operation, sqlState: state, message: primary ?? firstLine(PQerrorMessage(connection)))
    }

    static func firstLine(_ text: UnsafePointer<CChar>?) -> String {
        guard let text else { return "unknown error" }
        let line = String(cString: text).split(separator: "\n").first.map(String.init) ?? ""
        return line.isEmpty ? "unknown error" : line
    }
}

/// A parameter of ``PostgresConnection/execute(_:values:binaryResults:)``.
public enum PostgresValue: Sendable {
    case text(String)
    /// Sent in binary: a bytea value.
    case bytes([UInt8])
}

/// A C pointer handed to the blocking queue; only that queue touches it.
struct UncheckedPointer: @unchecked Sendable {
    let pointer: OpaquePointer
}

#if canImport(Glibc)
import Glibc
#endif
