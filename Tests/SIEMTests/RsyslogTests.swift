import AuditEvent
import Detection
import Foundation
import Pipeline
import SIEM
import Testing

/// The SIEM sink against the rsyslogd the harness starts: every alert
/// arrives, rsyslog's RFC 5424 parser finds the app-name, msgid and
/// structured data, and the CEF payload parses back into the original fields.
@Suite("SIEM sink into rsyslog", .serialized)
struct RsyslogTests {
    static let environment = ProcessInfo.processInfo.environment
    static var enabled: Bool { environment["COUNTERSIGN_TEST_SYSLOG_TCP"] != nil || environment["CI"] == "true" }

    static func alert(_ index: Int) -> Alert {
        Alert(
            detector: [.spike, .exfiltration, .probing][index % 3],
            scope: .member,
            tenant: "acme",
            member: "member-\(index % 500)@acme.example",
            tool: index % 2 == 0 ? "run|query" : "send=email",
            at: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000 + Int64(index) * 1_000),
            windowStart: Timestamp(microsecondsSinceEpoch: 1_787_219_940_000_000 + Int64(index) * 1_000),
            windowEnd: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000 + Int64(index) * 1_000),
            observed: Double(index),
            baselineMean: 2.5,
            baselineSpread: 1.2,
            score: 0.75,
            severity: 1 + index % 10,
            contributingEventIDs: ["e-\(index)"],
            alertID: "alert-\(index)"
        )
    }

    func endpoint(_ variable: String, _ transport: SyslogEndpoint.Transport) throws -> SyslogEndpoint {
        let value = try #require(Self.environment[variable], "\(variable) is not set; run through `make test`")
        let parts = value.split(separator: ":")
        return SyslogEndpoint(host: String(parts[0]), port: UInt16(parts[1])!, transport: transport)
    }

    /// Waits until `file` holds `count` lines (or nothing new came for 20 s).
    func lines(_ file: String, count: Int) async throws -> [Substring] {
        var last = -1
        var quietSince = Date()
        while true {
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            let lines = text.split(separator: "\n")
            if lines.count >= count { return lines }
            if lines.count != last {
                last = lines.count
                quietSince = Date()
            } else if Date().timeIntervalSince(quietSince) > 20 {
                return lines
            }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func send(_ transport: SyslogEndpoint.Transport, variable: String, count: Int) async throws -> SIEMSink {
        let sink = SIEMSink(settings: SIEMSettings(endpoint: try endpoint(variable, transport)))
        var index = 0
        while index < count {
            let alerts = (index..<min(index + 1_000, count)).map(Self.alert)
            _ = try await sink.write(EventBatch(events: [], alerts: alerts))
            index += alerts.count
        }
        return sink
    }

    func check(_ lines: [Substring], count: Int) throws {
        var seen = Set<String>()
        for line in lines {
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(columns.count == 4)
            guard columns.count == 4 else { continue }
            #expect(columns[0] == "countersign")
            #expect(columns[1].hasPrefix("detection:"))
            #expect(columns[2].hasPrefix("[countersign@32473 tenant=\"acme\" detector=\""))
            var message = String(columns[3])
            if message.hasPrefix("\u{FEFF}") { message.removeFirst() }
            let parsed = try parseCEF(message)
            let fields = Dictionary(parsed.extensions, uniquingKeysWith: { a, _ in a })
            guard let id = fields["externalId"], let index = Int(id.dropFirst("alert-".count)) else {
                Issue.record("no alert id in a message")
                continue
            }
            let original = try parseCEF(try CEFEncoder.encode(CEFMapping.alert(Self.alert(index))))
            #expect(parsed == original)
            seen.insert(id)
        }
        #expect(seen.count == count)
    }

    @Test(
        "100,000 alerts over TCP (octet counting): all arrive, parsed by rsyslog and back into their CEF fields",
        .enabled(if: enabled)
    )
    func tcp() async throws {
        let count = 100_000
        let sink = try await send(.tcp, variable: "COUNTERSIGN_TEST_SYSLOG_TCP", count: count)
        #expect(await sink.sent == count)
        let dir = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_DIR"])
        let received = try await lines("\(dir)/tcp.log", count: count)
        #expect(received.count == count)
        try check(received, count: count)
    }

    @Test("100,000 alerts over UDP: sent, and what arrives parses the same way (UDP may drop)", .enabled(if: enabled))
    func udp() async throws {
        let count = 100_000
        let sink = try await send(.udp, variable: "COUNTERSIGN_TEST_SYSLOG_UDP", count: count)
        #expect(await sink.sent == count)
        let dir = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_DIR"])
        let received = try await lines("\(dir)/udp.log", count: count)
        print("udp test: \(received.count) of \(count) datagrams arrived")
        #expect(received.count > 0)
        try check(received, count: received.count)
    }
}
