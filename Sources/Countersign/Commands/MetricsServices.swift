import Foundation
import Logging
import Metrics
import MetricsEndpoint
import Pipeline
import Prometheus
import SIEM
import ServiceLifecycle
import Telemetry
import Worker

/// The `metrics:` section made real: the instruments, the HTTP endpoint,
/// and the small pollers that feed it from parts that keep their own totals.
struct MetricsSetup {
    let services: [any Service]

    init(
        spec: PipelineSpec,
        source: KafkaSourceService,
        siemSinks: [SIEMSink],
        ledger: LedgerConfiguration?,
        metrics: PipelineMetrics,
        logger: Logger
    ) throws {
        guard let settings = spec.metrics else {
            services = []
            return
        }
        let webConfig = try settings.webConfigFile.map { try WebConfig.load(path: $0) } ?? WebConfig()
        var services: [any Service] = [
            MetricsServer(
                host: settings.host,
                port: settings.port,
                webConfig: webConfig,
                metrics: metrics,
                logger: logger
            ) {
                let state = source.readiness()
                return Readiness(ready: state.ready, reasons: state.reasons)
            },
            ReadinessMonitor(parts: source.readinessParts, health: source.health, logger: logger),
        ]
        if !siemSinks.isEmpty { services.append(SIEMMetricsPoller(sinks: siemSinks, metrics: metrics)) }
        if let ledger, let ledgerSpec = spec.ledger, ledgerSpec.verifyIntervalSeconds > 0 {
            services.append(
                try LedgerVerifyService(
                    configuration: ledger,
                    interval: .milliseconds(Int64(ledgerSpec.verifyIntervalSeconds * 1_000)),
                    metrics: metrics,
                    logger: logger
                )
            )
        }
        self.services = services
    }

    /// Library metrics written through swift-metrics land in the same registry.
    static func bootstrap(_ metrics: PipelineMetrics) {
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics.registry))
    }
}

/// Copies the SIEM sinks' delivery totals into the metrics every second.
struct SIEMMetricsPoller: Service {
    let sinks: [SIEMSink]
    let metrics: PipelineMetrics

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var total = SIEMDeliveryCounters()
            for sink in sinks {
                let counters = await sink.counters
                total.sent += counters.sent
                total.spooled += counters.spooled
                total.dropped += counters.dropped
                total.replayed += counters.replayed
                total.spoolDepth += counters.spoolDepth
                total.spoolBytes += counters.spoolBytes
            }
            metrics.siem(
                sent: total.sent,
                spooled: total.spooled,
                dropped: total.dropped,
                replayed: total.replayed,
                spoolMessages: total.spoolDepth,
                spoolBytes: total.spoolBytes
            )
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
