import ArgumentParser
import AuditEvent
import Foundation
import Logging
import Pipeline
import PostgresSink
import SIEM
import ServiceLifecycle
import Synchronization
import Telemetry
import Worker

/// `countersign run`: the long-running worker described by a pipeline file.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the worker described by a pipeline file until SIGTERM or SIGINT.",
        discussion: """
            Consumes the pipeline's topics in its consumer group, sends malformed messages to \
            the dead-letter topic, hands events to every sink and commits only what every sink \
            acknowledged. On SIGTERM or SIGINT it finishes the batch in hand, commits and exits 0, \
            within source.shutdown_timeout_seconds (default 20) even while a sink keeps failing; \
            a second signal exits at once.
            """
    )

    @Option(help: "The pipeline file (YAML); see Pipelines/README.md.")
    var pipeline: String

    @Option(help: "Stop once nothing new was consumed for this many seconds (demos, one-off replays).")
    var exitWhenIdle: Double?

    @OptionGroup var log: LogOptions

    func run() async throws {
        let spec = try PipelineLoading.load(pipeline)
        log.bootstrap(spec.log)
        let logger = Logger(label: "countersign")
        let built = try spec.sinks.map { try $0.build(context: SinkContext(logger: logger)) }
        let sinks = built.map(\.sink)
        let siemSinks = sinks.compactMap { $0 as? SIEMSink }
        var configuration = SourceConfiguration(spec)
        if let ledger = spec.ledger {
            // `check` (run above as part of loading) found the file readable.
            guard let key = try? String(contentsOfFile: ledger.keyFile, encoding: .utf8) else {
                throw CommandError("cannot read the ledger's key file '\(ledger.keyFile)' (ledger.key_file)")
            }
            configuration.ledger = LedgerConfiguration(
                storage: try LedgerStorages.open(ledger),
                signerKey: key,
                checkpointEveryEntries: UInt64(ledger.checkpointEveryEntries),
                checkpointInterval: .milliseconds(Int64(ledger.checkpointIntervalSeconds * 1_000))
            )
        }
        let metrics = PipelineMetrics(
            tenantLimit: spec.metrics?.tenantLabelLimit ?? 100,
            toolLimit: spec.metrics?.toolLabelLimit ?? 200
        )
        let source = KafkaSourceService(
            configuration: configuration,
            sinks: sinks,
            policies: zip(spec.sinks, sinks).map {
                $0.policy(name: $1.name, capacity: configuration.maxBatchesInFlight)
            },
            logger: logger,
            metrics: spec.metrics == nil ? nil : metrics
        )
        let trigger = ShutdownTrigger()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(
                service: ShutdownSignals(timeout: configuration.shutdownTimeout, logger: logger) {
                    trigger.fire()
                }
            )
        ]
        if spec.metrics != nil {
            MetricsSetup.bootstrap(metrics)
            let setup: MetricsSetup
            do {
                setup = try MetricsSetup(
                    spec: spec,
                    source: source,
                    siemSinks: siemSinks,
                    ledger: configuration.ledger,
                    metrics: metrics,
                    logger: logger
                )
            } catch {
                throw CommandError("\(error)")
            }
            services += setup.services.map { .init(service: $0) }
        }
        services += built.flatMap(\.services).map { .init(service: $0) }
        // Services stop in the reverse of this order: the source after the
        // idle watch and before everything it depends on (the SIEM spool
        // drainers, PostgreSQL maintenance, /metrics and /readyz), so that
        // its last batch is delivered and committed while they still run;
        // the signal watch stops last, keeping the shutdown bounded throughout.
        services.append(.init(service: source))
        if let exitWhenIdle {
            services.append(
                .init(
                    service: IdleExit(source: source, idleSeconds: exitWhenIdle),
                    successTerminationBehavior: .gracefullyShutdownGroup
                )
            )
        }
        // SIGTERM and SIGINT are ShutdownSignals' (logged, bounded, a second one exits).
        let group = ServiceGroup(configuration: .init(services: services, logger: logger))
        trigger.group = group
        try await group.run()
        let statistics = source.statistics
        print(
            "run: \(statistics.consumed) consumed, \(statistics.acknowledged) acknowledged by every sink, "
                + "\(statistics.deadLettered) dead-lettered, \(statistics.commits) commit\(statistics.commits == 1 ? "" : "s")"
        )
        if spec.ledger != nil { print("run: the ledger holds \(statistics.ledgerSize) entries") }
        if statistics.alerts > 0 {
            let detectors = statistics.alertsByDetector.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            print("run: \(statistics.alerts) alerts (\(detectors.joined(separator: ", ")))")
        }
        for sink in built {
            for line in await sink.report() { print(line) }
        }
    }
}

/// Lets the signal service start the group's graceful shutdown: the group
/// exists only after the services it runs.
final class ShutdownTrigger: Sendable {
    private let box = Mutex<ServiceGroup?>(nil)

    var group: ServiceGroup? {
        get { box.withLock { $0 } }
        set { box.withLock { $0 = newValue } }
    }

    func fire() {
        guard let group else { return }
        Task { await group.triggerGracefulShutdown() }
    }
}
