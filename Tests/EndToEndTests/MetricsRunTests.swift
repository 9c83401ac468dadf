import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A worker serving /metrics while generated traffic (with incidents and
/// malformed messages) flows through detection, a SIEM sink with a spool and
/// the ledger, scraped every second by the Prometheus the harness starts:
/// every query of every dashboard panel returns at least one series, and
/// promtool finds nothing to complain about in a live scrape.
extension EndToEndSuites {
    @Suite("countersign run with Prometheus", .serialized)
    struct MetricsRunTests {
        static var prometheus: String? { EndToEnd.environment["COUNTERSIGN_TEST_PROMETHEUS"] }

        func get(_ url: String) async throws -> (Int, Data) {
            let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        }

        /// The series a PromQL query returns (nil when the query failed).
        func query(_ expr: String) async throws -> Int? {
            var components = URLComponents(string: try #require(Self.prometheus) + "/api/v1/query")!
            components.queryItems = [URLQueryItem(name: "query", value: expr)]
            let (status, data) = try await get(components.url!.absoluteString)
            guard status == 200, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                object["status"] as? String == "success",
                let result = (object["data"] as? [String: Any])?["result"] as? [Any]
            else { return nil }
            return result.count
        }

        /// Every expression of every dashboard panel.
        func dashboardExpressions() throws -> [(String, String)] {
            let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("dashboards")
            var found: [(String, String)] = []
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            where name.hasSuffix(".json") {
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                let dashboard = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
                for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
                    for target in panel["targets"] as? [[String: Any]] ?? [] {
                        if let expr = target["expr"] as? String {
                            found.append(("\(name) / \(panel["title"] as? String ?? "?")", expr))
                        }
                    }
                }
            }
            return found
        }

        @Test(
            "every dashboard panel's query returns series from a real Prometheus; promtool accepts a live scrape",
            .enabled(if: EndToEnd.enabled)
        )
        func dashboardsAgainstPrometheus() async throws {
            let broker = try #require(EndToEnd.bootstrap, "COUNTERSIGN_TEST_KAFKA is not set; run through `make test`")
            let listen = try #require(EndToEnd.environment["COUNTERSIGN_TEST_METRICS_LISTEN"])
            _ = try #require(Self.prometheus, "COUNTERSIGN_TEST_PROMETHEUS is not set; run through `make test`")
            let syslog = try #require(EndToEnd.environment["COUNTERSIGN_TEST_SYSLOG_TCP"])
            let work = NSTemporaryDirectory() + "countersign-metrics-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: work) }
            let (keygen, _) = try EndToEnd.countersign([
                "ledger", "keygen", "--name", "metrics.test/ledger", "--out", work + "/ledger",
            ])
            #expect(keygen == 0)
            let topic = "metrics-\(UInt32.random(in: 0...UInt32.max))"
            let host = syslog.split(separator: ":")[0]
            let port = syslog.split(separator: ":")[1]
            let pipeline = try EndToEnd.pipeline(
                topic: topic,
                group: topic,
                source: """
                      batch_size: 2000
                    metrics:
                      listen: \(listen)
                    ledger:
                      directory: \(work)/ledger-dir
                      key_file: \(work)/ledger.key
                      checkpoint_interval_seconds: 1
                      verify_interval_seconds: 2
                    """,
                sinks: """
                      - type: null
                      - type: siem
                        host: \(host)
                        port: \(port)
                        spool:
                          directory: \(work)/spool
                    """
            )
            defer { try? FileManager.default.removeItem(at: pipeline) }
            // Two malformed messages, which also create the topic before the
            // worker subscribes (a topic created after it would be seen only
            // at the consumer's next metadata refresh, minutes later).
            let (produced, _) = try Subprocess.run(
                "/usr/bin/kcat",
                ["-b", broker, "-P", "-t", topic],
                input: Data("{\"schema\":\"mcp.audit/1\"\n[]\n".utf8)
            )
            #expect(produced == 0)
            let worker = try BackgroundRun(pipeline: pipeline, broker: broker, idleSeconds: nil)
            #expect(worker.waitForAssignment())

            // 56 hours of a 100-member organisation with seven incidents (alerts
            // of several detectors).
            let count = 100_000
            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "\(count)", "--seed", "42", "--tenants", "4", "--members-per-tenant", "25",
                "--spacing-ms", "2000", "--incidents", "7", "--brokers", broker, "--topic", topic,
            ])
            #expect(generated == 0)

            // Scrape while it works, and wait until Prometheus saw it all.
            var scrapeTimes: [Double] = []
            var seen = false
            for _ in 0..<600 {
                let started = Date()
                let (status, _) = try await get("http://\(listen)/metrics")
                if status == 200 { scrapeTimes.append(Date().timeIntervalSince(started) * 1_000) }
                if let series = try await query("sum(countersign_events_consumed_total) >= \(count)"), series > 0,
                    let verified = try await query("countersign_ledger_verify_success"), verified > 0
                {
                    seen = true
                    break
                }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(seen, "Prometheus never saw every event consumed: \(worker.log.suffix(800))")
            // A few more scrapes so that rates over the last minute have points.
            try await Task.sleep(for: .seconds(4))

            var failures: [String] = []
            let expressions = try dashboardExpressions()
            for (panel, expr) in expressions {
                let series = try await query(expr)
                if series == nil || series == 0 {
                    failures.append("\(panel): \(expr) -> \(series.map(String.init) ?? "error")")
                }
            }
            #expect(failures.isEmpty, "queries without series:\n\(failures.joined(separator: "\n"))")
            print(
                "metrics test: \(expressions.count) dashboard queries, \(expressions.count - failures.count) with series"
            )

            // promtool on a live scrape.
            let (status, body) = try await get("http://\(listen)/metrics")
            #expect(status == 200)
            let (checked, said) = try Subprocess.run(
                "/usr/bin/promtool",
                ["check", "metrics"],
                input: body,
                errors: true
            )
            #expect(checked == 0)
            #expect(said.isEmpty, "promtool: \(said)")
            let sorted = scrapeTimes.sorted()
            let series = String(decoding: body, as: UTF8.self).split(separator: "\n").filter { !$0.hasPrefix("#") }
                .count
            print(
                "metrics test: \(series) series, \(body.count) bytes; \(sorted.count) scrapes under load, median "
                    + "\(String(format: "%.1f", sorted.isEmpty ? 0 : sorted[sorted.count / 2])) ms, max "
                    + "\(String(format: "%.1f", sorted.last ?? 0)) ms"
            )
            let (ready, _) = try await get("http://\(listen)/readyz")
            #expect(ready == 200)
            let (healthy, _) = try await get("http://\(listen)/healthz")
            #expect(healthy == 200)

            worker.process.terminate()
            let (exit, _) = worker.finish()
            #expect(exit == 0, "\(worker.log.suffix(800))")
        }
    }
}
