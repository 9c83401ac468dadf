import AuditEvent
import Detection
import Foundation
import Pipeline
import SIEM
import TestSupport
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
        var endpoint = SyslogEndpoint(host: String(parts[0]), port: UInt16(parts[1])!, transport: transport)
        if transport == .tls {
            let tls = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_DIR"]) + "/tls"
            endpoint.tls = TLSOptions(
                caFile: "\(tls)/ca.pem",
                certificateFile: "\(tls)/client.pem",
                keyFile: "\(tls)/client.key"
            )
        }
        return endpoint
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
        try await send(SIEMSink(settings: SIEMSettings(endpoint: try endpoint(variable, transport))), count: count)
    }

    func send(_ sink: SIEMSink, count: Int) async throws -> SIEMSink {
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

    @Test(
        "100,000 alerts over TLS (RFC 5425, CA and name checked, client certificate): all arrive and parse",
        .enabled(if: enabled)
    )
    func tls() async throws {
        let count = 100_000
        let sink = try await send(.tls, variable: "COUNTERSIGN_TEST_SYSLOG_TLS", count: count)
        #expect(await sink.sent == count)
        let dir = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_DIR"])
        let received = try await lines("\(dir)/tls.log", count: count)
        #expect(received.count == count)
        try check(received, count: count)
    }

    @Test("TLS refuses a collector whose certificate another CA signed, or that does not carry the name")
    func tlsVerification() async throws {
        guard Self.enabled else { return }
        var wrongCA = try endpoint("COUNTERSIGN_TEST_SYSLOG_TLS", .tls)
        wrongCA.tls.caFile = "/etc/ssl/certs/ca-certificates.crt"
        var wrongName = try endpoint("COUNTERSIGN_TEST_SYSLOG_TLS", .tls)
        wrongName.tls.serverName = "siem.example.com"
        for endpoint in [wrongCA, wrongName] {
            let sink = try SIEMSink(settings: SIEMSettings(endpoint: endpoint))
            do {
                _ = try await sink.write(EventBatch(events: [], alerts: [Self.alert(0)]))
                Issue.record("a collector that fails the certificate check took a message")
            } catch {
                #expect("\(error)".contains("certificate check failed"), "\(error)")
            }
            #expect(await sink.sent == 0)
        }
    }

    @Test(
        "rsyslog stopped 30 s mid-stream on TCP: the spool takes the messages, all arrive in order afterwards",
        .enabled(if: enabled)
    )
    func outage() async throws {
        let stop = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_STOP"])
        let start = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_START"])
        let dir = try #require(Self.environment["COUNTERSIGN_TEST_SYSLOG_DIR"])
        let spool = NSTemporaryDirectory() + "countersign-siem-spool-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: spool) }
        var settings = SIEMSettings(endpoint: try endpoint("COUNTERSIGN_TEST_SYSLOG_OUTAGE", .tcp))
        settings.spool = SpoolSettings(directory: spool)
        settings.reconnectMaximum = .seconds(1)
        let sink = try SIEMSink(settings: settings)
        let maintenance = Task { try await sink.run() }
        defer { maintenance.cancel() }

        // 2,000 alerts a second: 3 s, then 30 s with rsyslog stopped, then 3 s.
        let clock = ContinuousClock()
        let begin = clock.now
        var sent = 0
        var stopped = false
        var restarted = false
        while clock.now - begin < .seconds(36) {
            let elapsed = clock.now - begin
            if !stopped && elapsed > .seconds(3) {
                #expect(Subprocess.script(stop) == 0)
                stopped = true
            }
            if stopped && !restarted && elapsed > .seconds(33) {
                #expect(Subprocess.script(start) == 0)
                restarted = true
            }
            let alerts = (sent..<(sent + 100)).map(Self.alert)
            _ = try await sink.write(EventBatch(events: [], alerts: alerts))
            sent += alerts.count
            try await Task.sleep(for: .milliseconds(50))
        }
        var counters = await sink.counters
        for _ in 0..<600 where counters.spoolDepth > 0 {
            try await Task.sleep(for: .milliseconds(100))
            counters = await sink.counters
        }
        #expect(counters.spoolDepth == 0)
        #expect(counters.spooled > 0, "the outage did not reach the spool")
        let received = try await lines("\(dir)/outage.log", count: sent)
        print(
            "outage test: \(sent) alerts written, \(counters.spooled) spooled, \(counters.replayed) replayed, "
                + "\(received.count) lines at rsyslog"
        )
        var seen = Set<Int>()
        var last = -1
        var repeats = 0
        var outOfOrder = 0
        for line in received {
            guard let range = line.range(of: "externalId=alert-"),
                let index = Int(line[range.upperBound...].prefix { $0.isNumber })
            else {
                Issue.record("a line without an alert id")
                continue
            }
            if seen.insert(index).inserted {
                if index != last + 1 { outOfOrder += 1 }
                last = index
            } else {
                repeats += 1
            }
        }
        #expect(seen.count == sent)
        #expect(outOfOrder == 0)
        #expect(repeats <= counters.replayed)
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
