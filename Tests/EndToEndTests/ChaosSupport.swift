import Foundation
import Kafka
import TestSupport
import Testing

/// The hostile-input and fault suite's pieces: a corpus of messages, each
/// with what must become of it, and readers for where messages end up
/// (PostgreSQL, the dead-letter topic, rsyslog's file). `make test` runs it
/// small; `make chaos` sets COUNTERSIGN_CHAOS_EVENTS and COUNTERSIGN_CHAOS_KILLS.
enum Chaos {
    static var events: Int { Int(EndToEnd.environment["COUNTERSIGN_CHAOS_EVENTS"] ?? "") ?? 4_000 }
    static var kills: Int { Int(EndToEnd.environment["COUNTERSIGN_CHAOS_KILLS"] ?? "") ?? 2 }
    /// Events produced during the kill loop, and their rate: the dev-broker
    /// keeps about 5 MB per partition, so what waits while a killed worker's
    /// successor joins (about 20 s) must stay under that.
    static var killEvents: Int { Int(EndToEnd.environment["COUNTERSIGN_CHAOS_KILL_EVENTS"] ?? "") ?? 20_000 }
    static var killRate: Int { Int(EndToEnd.environment["COUNTERSIGN_CHAOS_KILL_RATE"] ?? "") ?? 2_000 }

    /// What must become of one message.
    enum Fate: Equatable {
        /// Stored once in PostgreSQL, never dead-lettered.
        case stored
        /// Dead-lettered once, with one of these error codes, never stored.
        case deadLettered(Set<String>)
        /// Dead-lettered cut to `DeadLetter.truncatedSize` bytes, with its original size and SHA-256.
        case truncated(String)
    }

    struct Case {
        var name: String
        var bytes: [UInt8]
        var fate: Fate
        /// The event_id, for messages that decode.
        var eventID: String?
    }

    /// The contract's first sample, minified; hostile cases are edits of it.
    static func base(id: String, tenant: String = "acme") -> String {
        #"{"schema":"mcp.audit/1","event_id":"\#(id)","event_kind":"tool_call","phase":"final","occurred_at":"2026-08-20T10:15:02.481Z","duration_ms":142.7,"source":{"gateway":"mcp-hangar","version":"2.13.0"},"tenant_id":"\#(tenant)","actor":{"id":"alice@acme.com","type":"user"},"target":{"server_id":"github","method":"tools/call","tool":"create_issue"},"request":{"args_bytes":412},"outcome":{"status":"success","result_bytes":2311}}"#
    }

    /// A valid event of exactly `size` bytes (a padding member added).
    static func padded(id: String, to size: Int) -> [UInt8] {
        let event = base(id: id)
        let prefix = #"{"padding":""#
        let suffix = #"","# + event.dropFirst()
        let fill = size - prefix.utf8.count - suffix.utf8.count
        return Array((prefix + String(repeating: "p", count: fill) + suffix).utf8)
    }

    static func json(_ object: [String: Any]) throws -> [UInt8] {
        [UInt8](try JSONSerialization.data(withJSONObject: object))
    }

    /// Hostile messages; `tag` keeps event ids unique per run. Every size is
    /// around a limit: the decoder's 1 MiB, librdkafka's default producer
    /// limit of 1,000,000 bytes, Kafka's default broker limit of 1,048,588.
    static func corpus(tag: String) throws -> [Case] {
        var cases: [Case] = []
        var number = 0
        func id() -> String {
            number += 1
            return "chaos-\(tag)-\(number)"
        }
        func dead(_ name: String, _ text: String, _ codes: Set<String>) {
            cases.append(Case(name: name, bytes: Array(text.utf8), fate: .deadLettered(codes)))
        }
        // Parsing: JSONTestSuite-style refusals (written here from the RFC 8259 grammar).
        for (name, text) in [
            ("trailing comma", #"{"a":1,}"#), ("missing colon", #"{"a" 1}"#), ("single quotes", "{'a':1}"),
            ("leading zero", #"{"a":01}"#), ("bare exponent", #"{"a":1e}"#), ("bare minus", #"{"a":-}"#),
            ("NaN", #"{"a":NaN}"#), ("Infinity", #"{"a":Infinity}"#), ("bad escape", #"{"a":"\x41"}"#),
            ("truncated literal", #"{"a":tru}"#), ("unclosed array", #"{"a":[1,2}"#),
            ("unclosed string", #"{"a":"abc"#), ("lone brace", "{"), ("closing brace", "}"),
            ("two objects", #"{"a":1}{"b":2}"#), ("trailing garbage", #"{"a":1} x"#),
            ("comment", #"{"a":1 /* c */}"#), ("hex number", #"{"a":0x10}"#),
        ] {
            dead(name, text, ["invalid_json", "truncated", "number_out_of_range"])
        }
        dead("array root", "[1,2,3]", ["not_an_object"])
        dead("number root", "123", ["not_an_object"])
        dead("string root", #""mcp.audit/1""#, ["not_an_object"])
        cases.append(Case(name: "empty message", bytes: [], fate: .deadLettered(["empty_message"])))
        cases.append(
            Case(
                name: "invalid UTF-8",
                bytes: Array(#"{"a":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8),
                fate: .deadLettered(["invalid_utf8"])
            )
        )
        var withNUL = Array(base(id: id()).utf8)
        withNUL[40] = 0  // inside a string
        cases.append(Case(name: "raw NUL", bytes: withNUL, fate: .deadLettered(["nul_byte"])))
        dead(
            "10,000-deep nesting",
            #"{"x":"# + String(repeating: #"{"a":"#, count: 10_000) + "1" + String(repeating: "}", count: 10_001),
            ["too_deep"]
        )
        dead(
            "duplicate key",
            base(id: id()).replacingOccurrences(of: #""phase":"final""#, with: #""phase":"final","phase":"request""#),
            ["duplicate_key"]
        )
        dead(
            "missing actor",
            base(id: id()).replacingOccurrences(of: #""actor":{"id":"alice@acme.com","type":"user"},"#, with: ""),
            ["missing_field"]
        )
        // Dates no sink can store, or no audit record carries.
        for date in [
            "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "1969-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
        ] {
            dead(
                "occurred_at \(date)",
                base(id: id()).replacingOccurrences(of: "2026-08-20T10:15:02.481Z", with: date),
                ["timestamp_out_of_range"]
            )
        }
        // Sizes around every limit.
        let maximum = 1 << 20
        for size in [999_999, 1_000_000, 1_000_001, maximum] {
            let eventID = id()
            cases.append(
                Case(
                    name: "valid, \(size) bytes",
                    bytes: padded(id: eventID, to: size),
                    fate: .stored,
                    eventID: eventID
                )
            )
        }
        for size in [maximum + 1, 1_048_588] {
            cases.append(
                Case(
                    name: "valid but \(size) bytes",
                    bytes: padded(id: id(), to: size),
                    fate: .deadLettered(["message_too_large"])
                )
            )
        }
        cases.append(
            Case(
                name: "malformed, 1,040,000 bytes",
                bytes: Array(("{" + String(repeating: "x", count: 1_039_998) + "}").utf8),
                fate: .deadLettered(["invalid_json"])
            )
        )
        cases.append(
            Case(
                name: "malformed, 2,000,000 bytes",
                bytes: Array(("{" + String(repeating: "y", count: 1_999_998) + "}").utf8),
                fate: .truncated("message_too_large")
            )
        )
        // Hostile strings in every field that reaches the SIEM or SQL.
        let hostile = [
            "| = \\ \n \r ] \" < > ' ; -- %s %n", "\u{202E}evil\u{202C}", "😀🔥", "${jndi:ldap://x}",
            "'); DROP TABLE events;--",
        ]
        for (index, text) in hostile.enumerated() {
            let eventID = id()
            cases.append(
                Case(
                    name: "hostile strings \(index)",
                    bytes: try json([
                        "schema": "mcp.audit/1", "event_id": eventID, "event_kind": "tool_call",
                        "occurred_at": "2026-08-20T10:15:02.481Z",
                        "source": ["gateway": text, "instance_id": text], "tenant_id": text,
                        "actor": ["id": text, "agent_id": text, "display": text, "source_ip": text],
                        "session": ["id": text], "target": ["server_id": text, "method": "tools/call", "tool": text],
                        "outcome": ["status": "tool_error", "error_type": text, "error_message": text],
                    ]),
                    fate: .stored,
                    eventID: eventID
                )
            )
        }
        let longTenant = id()
        cases.append(
            Case(
                name: "100,000-character tenant",
                bytes: Array(base(id: longTenant, tenant: String(repeating: "t", count: 100_000)).utf8),
                fate: .stored,
                eventID: longTenant
            )
        )
        // Valid JSON that PostgreSQL's jsonb refuses: the sink rejects the row.
        let nul = id()
        cases.append(
            Case(
                name: "escaped NUL in free text",
                bytes: Array(
                    base(id: nul).replacingOccurrences(of: #""tools/call""#, with: #""tools/\u0000call""#).utf8
                ),
                fate: .deadLettered(["sink_rejected"]),
                eventID: nul
            )
        )
        return cases
    }

    /// Produces messages, each with its own key, to the partition given; at
    /// most `rate` a second when given (the dev-broker keeps about 5 MB per
    /// partition and drops the oldest beyond that, so large volumes are
    /// produced while the worker consumes).
    static func produce(
        _ messages: [(key: String, value: [UInt8], partition: Int32)],
        topic: String,
        broker: String,
        rate: Int? = nil
    ) async throws {
        let producer = try KafkaProducer(
            properties: ["bootstrap.servers": broker, "message.max.bytes": "3000000", "linger.ms": "5"]
        )
        let started = ContinuousClock.now
        var bytes = 0
        for (index, message) in messages.enumerated() {
            try await producer.send(
                topic: topic,
                key: Array(message.key.utf8),
                value: message.value,
                partition: message.partition
            )
            bytes += message.value.count
            if let rate, index % 100 == 99 {
                try await producer.flush()
                try await Task.sleep(until: started + .milliseconds((index + 1) * 1_000 / rate))
            }
            // Large messages: at most ~8 MB in flight ahead of the consumer.
            if rate != nil, bytes > 8 << 20 {
                try await producer.flush()
                try await Task.sleep(for: .seconds(1))
                bytes = 0
            }
        }
        try await producer.flush()
        #expect(producer.deliveries.failed == 0)
    }

    /// One message of the dead-letter topic.
    struct Letter {
        var key: String
        var size: Int
        var headers: [String: String]
        var value: String
    }

    /// Every message of a topic, with kcat.
    static func letters(_ topic: String, broker: String) throws -> [Letter] {
        let (_, text) = try Subprocess.run(
            "/usr/bin/kcat",
            [
                "-b", broker, "-C", "-t", topic, "-e", "-q", "-X", "fetch.message.max.bytes=4000000",
                "-f", "%k\t%S\t%h\t%s\n",
            ]
        )
        return text.split(separator: "\n", omittingEmptySubsequences: true).compactMap { line in
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, let size = Int(fields[1]) else { return nil }
            var headers: [String: String] = [:]
            for pair in fields[2].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { headers[String(parts[0])] = String(parts[1]) }
            }
            return Letter(key: String(fields[0]), size: size, headers: headers, value: String(fields[3]))
        }
    }

    /// A fresh database on the harness's server; its connection string.
    static func database() throws -> String {
        let server = try #require(EndToEnd.environment["COUNTERSIGN_TEST_PG"], "run through `make test`")
        let name = "chaos_\(UInt32.random(in: 0...UInt32.max))"
        #expect(try psql(server, "CREATE DATABASE \(name)") != nil)
        return server.replacingOccurrences(of: "dbname=countersign_test", with: "dbname=\(name)")
    }

    static func psql(_ conninfo: String, _ sql: String) throws -> String? {
        let (status, text) = try Subprocess.run("/usr/bin/psql", [conninfo, "-qAtX", "-c", sql])
        return status == 0 ? text.trimmingCharacters(in: .whitespacesAndNewlines) : nil
    }

    /// event_id -> number of rows.
    static func stored(_ conninfo: String) throws -> [String: Int] {
        let text = try psql(conninfo, "SELECT event_id, count(*) FROM events GROUP BY event_id") ?? ""
        var rows: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "|")
            if parts.count == 2 { rows[String(parts[0])] = Int(parts[1]) }
        }
        return rows
    }
}
