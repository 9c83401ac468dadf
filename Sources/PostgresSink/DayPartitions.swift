import AuditEvent

/// Day partitions of `events`: `events_YYYYMMDD`, covering [day, day + 1)
/// in UTC. Created ahead of time and on demand; dropped by retention.
enum DayPartitions {
    static let microsecondsPerDay: Int64 = 86_400_000_000

    /// Days since the epoch of a time (floor).
    static func day(of time: Timestamp) -> Int64 {
        let micros = time.microsecondsSinceEpoch
        return micros >= 0 ? micros / microsecondsPerDay : (micros + 1) / microsecondsPerDay - 1
    }

    /// `YYYY-MM-DD` of a day number.
    static func date(_ day: Int64) -> String {
        String(Timestamp(microsecondsSinceEpoch: day * microsecondsPerDay).rfc3339.prefix(10))
    }

    static func name(_ day: Int64) -> String {
        "events_" + date(day).replacingOccurrences(of: "-", with: "")
    }

    /// The day a partition name stands for, if it is one of ours.
    static func day(ofPartition name: String) -> Int64? {
        guard name.hasPrefix("events_"), name.count == 15 else { return nil }
        let digits = name.dropFirst(7)
        guard digits.allSatisfy(\.isNumber) else { return nil }
        let text = "\(digits.prefix(4))-\(digits.dropFirst(4).prefix(2))-\(digits.suffix(2))T00:00:00Z"
        return (try? Timestamp.parse(rfc3339: text).get()).map(day(of:))
    }

    /// Creates the partition for `day` unless it exists. Another worker may
    /// create it at the same moment; "already exists" counts as success.
    static func create(_ day: Int64, on connection: PostgresConnection) async throws(PostgresError) {
        let sql =
            "CREATE TABLE IF NOT EXISTS \(name(day)) PARTITION OF events "
            + "FOR VALUES FROM ('\(date(day))') TO ('\(date(day + 1))')"
        do {
            try await connection.execute(sql)
        } catch {
            // 42P07 duplicate table, 23505 on the catalog: lost a race with another worker.
            guard error.sqlState == "42P07" || error.sqlState == "23505" else { throw error }
        }
    }

    /// Every partition of `events` that follows our naming, by day.
    static func existing(on connection: PostgresConnection) async throws(PostgresError) -> [Int64: String] {
        let rows = try await connection.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                + "WHERE i.inhparent = 'events'::regclass"
        )
        var result: [Int64: String] = [:]
        for row in rows {
            if let name = row.first ?? nil, let day = day(ofPartition: name) { result[day] = name }
        }
        return result
    }
}
