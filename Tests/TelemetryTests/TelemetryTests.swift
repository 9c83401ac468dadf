import AuditEvent
import Detection
import Foundation
import HummingbirdBcrypt
import MetricsEndpoint
import Pipeline
import Testing

@testable import Telemetry

/// The repository's dashboards/ folder.
let dashboardsDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("dashboards")

func event(
    tenant: String,
    tool: String,
    status: OutcomeStatus = .success,
    duration: Double = 12,
    bytes: Int = 900
)
    -> ConsumedEvent
{
    let event = AuditEvent.build { (fields: inout AuditEvent.Fields) in
        fields.eventID = UUID().uuidString
        fields.tenantID = tenant
        fields.target.tool = tool
        fields.outcome.status = status
        fields.durationMs = duration
        fields.outcome.resultBytes = Int64(bytes)
        fields.actor.id = "member-1@\(tenant).example"
    }
    return ConsumedEvent(event: event, topic: "mcp.audit", partition: 0, offset: 0)
}

/// Every PromQL expression in a dashboard, with its panel's title.
func dashboardExpressions() throws -> [(file: String, panel: String, expr: String)] {
    var found: [(String, String, String)] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: dashboardsDirectory.path).sorted()
    where name.hasSuffix(".json") {
        let data = try Data(contentsOf: dashboardsDirectory.appendingPathComponent(name))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for panel in dashboard["panels"] as? [[String: Any]] ?? [] {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expr = target["expr"] as? String { found.append((name, panel["title"] as? String ?? "?", expr)) }
            }
        }
    }
    return found
}

@Suite("Metrics")
struct TelemetryTests {
    @Test("golden exposition: names, help, types, labels, sorted families")
    func golden() throws {
        let metrics = PipelineMetrics(tenantLimit: 2, toolLimit: 2)
        metrics.prepare(sinks: ["postgres"])
        metrics.consumed(topic: "mcp.audit", partition: 3, count: 42)
        metrics.events([
            event(tenant: "acme", tool: "run_query"), event(tenant: "acme", tool: "run_query", status: .denied),
            event(tenant: "globex", tool: "send\"email", duration: 1_500, bytes: 70_000),
            event(tenant: "initech", tool: "third_tool"),
        ])
        metrics.deadLettered(reason: "truncated", count: 2)
        metrics.sinkWrote("postgres", events: 4, seconds: 0.02)
        metrics.lag(topic: "mcp.audit", partition: 3, messages: 17)
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let golden = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
                "golden.prom"
            ),
            encoding: .utf8
        )
        #expect(text == golden, "exposition differs from golden.prom:\n\(text)")
    }

    @Test("100,000 distinct tenants and tools: the series stay bounded by the caps")
    func cardinality() {
        let metrics = PipelineMetrics(tenantLimit: 100, toolLimit: 200)
        var batch: [ConsumedEvent] = []
        for index in 0..<100_000 {
            batch.append(
                event(tenant: "tenant-\(index)", tool: "tool-\(index)", status: index % 7 == 0 ? .denied : .success)
            )
            if batch.count == 1_000 {
                metrics.events(batch)
                batch.removeAll()
            }
        }
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let series = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        let eventSeries = series.filter { $0.hasPrefix("countersign_events_total{") }
        let tenants = Set(
            eventSeries.compactMap { $0.range(of: "tenant=\"").map { $0.upperBound } }.map {
                String(text[$0...].prefix { $0 != "\"" })
            }
        )
        print(
            "cardinality test: 100,000 distinct tenants and tools -> \(series.count) series in all, \(eventSeries.count) of countersign_events_total, \(text.utf8.count) bytes"
        )
        #expect(metrics.tenants.count == 100)
        #expect(metrics.tools.count == 200)
        #expect(tenants.count <= 101)
        // tenant x tool x status, each capped: at most 101 x 201 x 9; with
        // paired values it is far fewer.
        #expect(eventSeries.count <= 2 * (100 + 100 + 1))
        #expect(series.count < 10_000)
        #expect(text.contains("countersign_metric_labels_folded_total{label=\"tenant\"} 99900"))
    }

    @Test("every dashboard query names only catalogued series")
    func dashboardsUseTheCatalogue() throws {
        let expressions = try dashboardExpressions()
        #expect(expressions.count >= 20)
        let known = MetricsCatalogue.seriesNames
        let pattern = try Regex("countersign_[a-z_]+")
        for (file, panel, expr) in expressions {
            let names = expr.matches(of: pattern).map { String(expr[$0.range]) }
            #expect(!names.isEmpty, "\(file) / \(panel): no countersign metric in \(expr)")
            for name in names { #expect(known.contains(name), "\(file) / \(panel): \(name) is not in the catalogue") }
        }
    }

    @Test("the dashboards are importable: a datasource variable, unique panel ids, targets on it")
    func dashboardsAreImportable() throws {
        for name in try FileManager.default.contentsOfDirectory(atPath: dashboardsDirectory.path)
        where name.hasSuffix(".json") {
            let data = try Data(contentsOf: dashboardsDirectory.appendingPathComponent(name))
            let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            let variables = (dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            #expect(
                variables.contains { $0["type"] as? String == "datasource" && $0["query"] as? String == "prometheus" }
            )
            let panels = dashboard["panels"] as? [[String: Any]] ?? []
            #expect(Set(panels.compactMap { $0["id"] as? Int }).count == panels.count)
            for panel in panels {
                let source = panel["datasource"] as? [String: Any]
                #expect(source?["uid"] as? String == "${datasource}", "\(name): \(panel["title"] ?? "?")")
            }
        }
    }

    @Test("web config: Prometheus' format, bcrypt users, unknown keys refused")
    func webConfig() throws {
        let hash = Bcrypt.hash("s3cret", cost: 4)
        let config = try WebConfig.parse("basic_auth_users:\n  prometheus: \(hash)\n", file: "web.yml")
        let good = "Basic " + Data("prometheus:s3cret".utf8).base64EncodedString()
        let bad = "Basic " + Data("prometheus:guess".utf8).base64EncodedString()
        #expect(config.allows(authorization: good))
        #expect(!config.allows(authorization: bad))
        #expect(!config.allows(authorization: nil))
        #expect(WebConfig().allows(authorization: nil))
        #expect(throws: WebConfig.Invalid.self) { try WebConfig.parse("http_server_config: {}\n", file: "web.yml") }
        #expect(throws: WebConfig.Invalid.self) {
            try WebConfig.parse("tls_server_config: {cert_file: a}\n", file: "web.yml")
        }
        let error = #expect(throws: WebConfig.Invalid.self) {
            try WebConfig.parse("basic_auth_users:\n  u: plain-password\n", file: "web.yml")
        }
        #expect(error?.description.contains("plain-password") == false)
    }
}
