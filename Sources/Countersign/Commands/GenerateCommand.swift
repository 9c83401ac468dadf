import ArgumentParser
import Blocking
import Foundation
import Kafka
import Logs
import TrafficGenerator

/// `countersign generate`: synthetic gateway traffic, to a JSONL file or to Kafka.
struct GenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic mcp.audit/1 gateway traffic as JSONL or to a Kafka topic.",
        discussion: """
            Steady traffic from a population of members in tenants, each tenant behind its own \
            gateway product and in its own time zone, each member with favourite tools, working \
            hours and pace (automation runs around the clock), realistic result sizes, tool \
            errors and denials. Event time advances by --spacing-ms per steady event: the \
            default 10 ms packs a million events into under three hours; 300 ms spreads them \
            over about three and a half days, enough for hour-of-day habits to show. Deterministic: the same seed gives the same bytes. To Kafka, \
            messages are keyed by actor.id, so one member's events stay in order on one partition.
            """
    )

    @Option(help: "How many events to write.")
    var count: Int = 1000

    @Option(help: "Seed of the traffic; the same seed gives the same events.")
    var seed: UInt64 = 1

    @Option(help: "Event time between consecutive steady events, in milliseconds.")
    var spacingMs: Int = 10

    @Option(help: "Number of tenants.")
    var tenants: Int = 4

    @Option(help: "Members per tenant.")
    var membersPerTenant: Int = 50

    @Option(name: .shortAndLong, help: "Output file; '-' writes to standard output. Ignored with --brokers.")
    var output: String = "-"

    @Option(help: "Kafka bootstrap servers: produce to Kafka instead of writing JSONL.")
    var brokers: String?

    @Option(help: "The Kafka topic to produce to.")
    var topic: String = "mcp.audit"

    @Option(help: "Events per second; 0 produces as fast as possible.")
    var rate: Int = 0

    @Option(
        help: ArgumentHelp(
            "How long the producer gathers a partition's events into one batch, in milliseconds.",
            discussion:
                "Default: 5 with --rate (events leave promptly), 200 without (large batches: fewer requests, and far less work for a broker such as librdkafka's mock cluster, which searches its batches one by one on every fetch)."
        )
    )
    var lingerMs: Int?

    @Option(
        help: """
            Plant this many incidents (spike, exfiltration, breadth, read-then-send, probing, first-seen, \
            off-hours, in turn).
            """
    )
    var incidents: Int = 0

    @Option(
        help:
            "Write the incidents' ground truth here, one JSON object per line (kind, actor, tenant, tool, start, end)."
    )
    var labels: String?

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard rate >= 0 else { throw ValidationError("--rate must not be negative") }
        guard spacingMs > 0 else { throw ValidationError("--spacing-ms must be positive") }
        if let lingerMs, !(0...900_000).contains(lingerMs) {
            throw ValidationError("--linger-ms must be 0 to 900000 (librdkafka's range)")
        }
        guard incidents >= 0 else { throw ValidationError("--incidents must not be negative") }
        if labels != nil, incidents == 0 { throw ValidationError("--labels needs --incidents") }
        guard tenants > 0, membersPerTenant > 0 else {
            throw ValidationError("--tenants and --members-per-tenant must be positive")
        }
    }

    func run() async throws {
        let traffic = SyntheticTraffic(
            seed: seed,
            tenants: tenants,
            membersPerTenant: membersPerTenant,
            spacingMicroseconds: Int64(spacingMs) * 1_000
        )
        let stream = IncidentStream(traffic: traffic, count: count, incidentCount: incidents)
        if let labels {
            var text: [UInt8] = []
            for incident in stream.incidents { text += incident.labelLine + [UInt8(ascii: "\n")] }
            try OutputFile.replace(labels, with: text)
        }
        if let brokers {
            try await produce(stream, brokers: brokers)
        } else {
            try await write(stream)
        }
    }

    private func write(_ stream: IncidentStream) async throws {
        let handle = try OutputFile(path: output)
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        let pacer = Pacer(rate: rate)
        let progress = ProgressLine(
            "generate",
            total: UInt64(stream.totalCount),
            counting: .items("events"),
            dataOnStandardOutput: output == "-"
        )
        for (index, event) in stream.enumerated() {
            chunk.append(contentsOf: event.jsonBytes())
            chunk.append(UInt8(ascii: "\n"))
            if chunk.count >= 1 << 20 || (rate > 0 && index % 100 == 99) {
                try handle.write(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
            try await pacer.pace(sent: index + 1)
            progress.update(UInt64(index + 1))
        }
        try handle.write(chunk)
        try handle.finish()
        progress.clear()
    }

    private func produce(_ stream: IncidentStream, brokers: String) async throws {
        // librdkafka's own lines (a broker that refuses) as our log records.
        LogSetup.bootstrap(format: .text, level: .warning)
        let linger = lingerMs ?? (rate > 0 ? 5 : 200)
        let producer = try KafkaProducer(properties: [
            "bootstrap.servers": brokers, "linger.ms": String(linger), "batch.num.messages": "10000",
        ])
        let pacer = Pacer(rate: rate)
        let progress = ProgressLine("generate", total: UInt64(stream.totalCount), counting: .items("events"))
        for (index, event) in stream.enumerated() {
            try await producer.send(topic: topic, key: Array(event.actor.id.utf8), value: event.jsonBytes())
            try await pacer.pace(sent: index + 1)
            progress.update(UInt64(index + 1))
        }
        try await producer.flush()
        let deliveries = producer.deliveries
        progress.clear()
        standardError(
            "generate: \(deliveries.delivered) events delivered to \(topic)"
                + (deliveries.failed > 0 ? ", \(deliveries.failed) failed (\(deliveries.lastError ?? "?"))" : "")
        )
        if deliveries.failed > 0 { throw ExitCode(1) }
    }
}

/// Sleeps as needed to hold a rate of events per second (0: no limit).
struct Pacer {
    let rate: Int
    private let start = ContinuousClock.now

    init(rate: Int) {
        self.rate = rate
    }

    func pace(sent: Int) async throws {
        guard rate > 0, sent % 100 == 0 else { return }
        let due = start + .seconds(Double(sent) / Double(rate))
        if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
    }
}
