import Foundation
import HummingbirdBcrypt
import Logging
import MetricsEndpoint
import TestSupport
import Testing

@testable import Telemetry

/// The endpoint over real HTTPS with basic auth, exercised with curl.
@Suite("Metrics endpoint")
struct EndpointTests {
    func run(_ path: String, _ arguments: [String]) throws -> (Int32, String) {
        try Subprocess.run(path, arguments)
    }

    @Test("HTTPS from tls_server_config; /metrics needs the basic-auth user, the probes do not")
    func tlsAndBasicAuth() async throws {
        let work = NSTemporaryDirectory() + "countersign-endpoint-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        let (made, _) = try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", work + "/key.pem", "-out", work + "/cert.pem",
            ]
        )
        #expect(made == 0)
        let config = try WebConfig.parse(
            """
            tls_server_config:
              cert_file: \(work)/cert.pem
              key_file: \(work)/key.pem
            basic_auth_users:
              prometheus: \(Bcrypt.hash("s3cret", cost: 4))
            """,
            file: "web.yml"
        )
        let metrics = PipelineMetrics()
        metrics.consumed(topic: "mcp.audit", partition: 0, count: 5)
        let bound = Locked(0)
        let server = MetricsServer(
            host: "127.0.0.1",
            port: 0,
            webConfig: config,
            metrics: metrics,
            logger: Logger(label: "test")
        ) {
            Readiness(ready: false, reasons: ["no Kafka broker answers"])
        } onListening: { port in
            bound.set(port)
        }
        let task = Task { try await server.run() }
        defer { task.cancel() }
        for _ in 0..<200 where bound.get() == 0 { try await Task.sleep(for: .milliseconds(25)) }
        let base = "https://localhost:\(bound.get())"
        let curl = ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", work + "/cert.pem"]
        #expect(try run("/usr/bin/curl", curl + [base + "/metrics"]).1 == "401")
        #expect(try run("/usr/bin/curl", curl + ["-u", "prometheus:wrong", base + "/metrics"]).1 == "401")
        #expect(try run("/usr/bin/curl", curl + ["-u", "prometheus:s3cret", base + "/metrics"]).1 == "200")
        let (_, body) = try run(
            "/usr/bin/curl",
            ["-s", "--cacert", work + "/cert.pem", "-u", "prometheus:s3cret", base + "/metrics"]
        )
        #expect(body.contains("countersign_events_consumed_total{topic=\"mcp.audit\",partition=\"0\"} 5"))
        #expect(try run("/usr/bin/curl", curl + [base + "/healthz"]).1 == "200")
        #expect(try run("/usr/bin/curl", curl + [base + "/readyz"]).1 == "503")
        // Plain HTTP is not served on the TLS port.
        #expect(
            try run(
                "/usr/bin/curl",
                ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(bound.get())/healthz"]
            ).1 != "200"
        )
    }
}

final class Locked: @unchecked Sendable {
    private var value: Int
    private let lock = NSLock()
    init(_ value: Int) { self.value = value }
    func get() -> Int { lock.withLock { value } }
    func set(_ new: Int) { lock.withLock { value = new } }
}
