import AuditEvent
import Testing

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test(
        "valid texts parse to the expected instant",
        arguments: [
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000Z"),
            ("2026-08-20T10:15:02.481Z", "2026-08-20T10:15:02.481Z"),
            ("2026-08-20T10:15:02.000001Z", "2026-08-20T10:15:02.000001Z"),
            ("2026-08-20t10:15:02.5z", "2026-08-20T10:15:02.500Z"),
            ("2026-08-20T12:15:02+02:00", "2026-08-20T10:15:02.000Z"),
            ("2026-08-20T00:15:02-05:30", "2026-08-20T05:45:02.000Z"),
            ("2026-08-20T10:15:02.123456789Z", "2026-08-20T10:15:02.123456Z"),
            ("2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"),
            ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"),
            ("1969-12-31T23:59:59.999Z", "1969-12-31T23:59:59.999Z"),
            ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59.999999Z"),
            ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"),
            ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ]
    )
    func parses(text: String, expected: String) throws {
        let time = try Timestamp.parse(rfc3339: text).get()
        #expect(time.rfc3339 == expected)
        // Formatting is canonical: parsing the output gives the same instant.
        #expect(try Timestamp.parse(rfc3339: time.rfc3339).get() == time)
    }

    @Test("known instants convert to epoch microseconds")
    func epoch() throws {
        #expect(try Timestamp.parse(rfc3339: "1970-01-01T00:00:01Z").get().microsecondsSinceEpoch == 1_000_000)
        #expect(
            try Timestamp.parse(rfc3339: "2026-08-20T10:15:02.481Z").get().microsecondsSinceEpoch
                == 1_787_220_902_481_000
        )
        #expect(try Timestamp.parse(rfc3339: "1969-12-31T23:59:59.999Z").get().millisecondsSinceEpoch == -1)
    }

    @Test(
        "invalid texts are refused with a reason",
        arguments: [
            ("2026-13-01T00:00:00Z", Timestamp.ParseFailure.fieldRange),
            ("2026-02-29T00:00:00Z", .fieldRange),
            ("1900-02-29T00:00:00Z", .fieldRange),
            ("2026-06-31T00:00:00Z", .fieldRange),
            ("2026-01-00T00:00:00Z", .fieldRange),
            ("2026-01-01T24:00:00Z", .fieldRange),
            ("2026-01-01T00:00:00+24:00", .fieldRange),
            ("2026-01-01T00:00:00", .missingOffset),
            ("2026-01-01T00:00:00.1234567891Z", .fractionTooLong),
            ("2026-01-01 00:00:00Z", .syntax),
            ("2026-01-01T00:00:00.Z", .syntax),
            ("2026-1-01T00:00:00Z", .syntax),
            ("", .syntax),
            ("2026-01-01T00:00:00Zjunk", .syntax),
            ("2026-01-01T00:00:00+0100", .syntax),
        ]
    )
    func refuses(text: String, failure: Timestamp.ParseFailure) {
        #expect(throws: failure) { try Timestamp.parse(rfc3339: text).get() }
    }

    @Test("every day of four years round-trips through civil dates")
    func civilRoundTrip() throws {
        let start = try Timestamp.parse(rfc3339: "2023-01-01T00:00:00Z").get().microsecondsSinceEpoch
        for day in 0..<(4 * 366) {
            let time = Timestamp(microsecondsSinceEpoch: start + Int64(day) * 86_400_000_000 + 3_723_000_042)
            #expect(try Timestamp.parse(rfc3339: time.rfc3339).get() == time)
        }
    }
}
