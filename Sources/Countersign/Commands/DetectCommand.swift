import ArgumentParser
import AuditDecoder
import AuditEvent
import Blocking
import Detection
import Foundation
import GatewayFormats
import Kafka
import Pipeline
import Worker

/// `countersign detect`: the detection engine over a JSONL file, offline.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run the detectors over a JSONL file of events and write the alerts as JSONL.",
        discussion: """
            The same engine as `run`, in event time: the same events in the same order give \
            byte-identical alerts. `run` keeps one engine per partition; --partitions N does the \
            same for a topic of N partitions keyed by actor.id with librdkafka's default \
            partitioner (as `countersign generate` produces), so that detect raises the alerts \
            `run` raised, with the same ids. Each alert is an mcp.audit/1 event with event_kind \
            "detection". Lines that are not valid events are counted and listed by line \
            number and reason (never their content), and skipped. --snapshot-out saves the \
            engine's state at the end; --snapshot-in starts from one, so a file can be \
            processed in parts with the same result as in one go. --format reads another \
            source format line by line (an OTLP/JSON request per line for otlp; docs/inputs.md).
            """
    )

    @Option(help: "Events, one JSON object per line; '-' reads standard input.")
    var input: String

    @Option(help: "Where to write the alerts (JSONL); '-' writes to standard output.")
    var output: String = "-"

    @Option(
        help:
            "A pipeline file whose `detectors:` section sets the detectors (and `source.mapping` the mapping of --format)."
    )
    var pipeline: String?

    @Option(
        help:
            "The lines' format: \(MessageFormats.names.joined(separator: ", ")) (an OTLP/JSON request per line for otlp)."
    )
    var format: String = "mcp.audit/1"

    @Option(
        help: "One engine per partition of a topic with this many partitions, keyed by actor.id, as run keeps them."
    )
    var partitions: Int32 = 1

    @Option(help: "Start from this engine snapshot.")
    var snapshotIn: String?

    @Option(help: "Save the engine's state here at the end.")
    var snapshotOut: String?

    @Flag(help: "Print no progress or summary on standard error.")
    var quiet = false

    func validate() throws {
        guard partitions >= 1 else { throw ValidationError("--partitions must be at least 1") }
        if partitions > 1 && (snapshotIn != nil || snapshotOut != nil) {
            throw ValidationError("snapshots hold one engine: use them with --partitions 1")
        }
    }

    func run() throws {
        let spec = try pipeline.map { try PipelineLoading.load($0, checks: .none) }
        let settings = spec?.detection ?? DetectionSettings()
        let decoder: any MessageFormat
        do {
            decoder = try MessageFormats.make(format, settings: spec.map { FormatSettings($0) } ?? FormatSettings())
        } catch let error as TopicDecoders.UnknownFormat {
            throw ValidationError("\(error)")
        }
        var engine: DetectionEngine
        if let snapshotIn {
            guard let data = FileManager.default.contents(atPath: snapshotIn) else {
                throw ValidationError("cannot read the snapshot '\(snapshotIn)'")
            }
            do {
                engine = try DetectionEngine(snapshot: [UInt8](data), settings: settings)
            } catch {
                throw ValidationError("'\(snapshotIn)': \(error)")
            }
        } else {
            engine = DetectionEngine(settings: settings)
        }
        // Engines of the other partitions (the first is `engine`).
        var others = (1..<Int(partitions)).map { _ in DetectionEngine(settings: settings) }
        var reader = try LineReader(path: input)
        let sink = try OutputFile(path: output)
        var lineNumber = 0
        var invalid = 0
        var pending: [UInt8] = []
        pending.reserveCapacity(1 << 20)
        let started = Date()
        // Bytes read (each line and its newline), against the file's size when it is a regular file.
        var progress: ProgressLine?
        if !quiet {
            progress = ProgressLine(
                "detect",
                total: ProgressLine.fileSize(input),
                counting: .bytes,
                dataOnStandardOutput: output == "-"
            )
        }
        var bytesRead: UInt64 = 0
        while let line = try reader.next() {
            lineNumber += 1
            bytesRead += UInt64(line.count) + 1
            progress?.update(bytesRead)
            if line.isEmpty { continue }
            let decoded: DecodedMessage
            do {
                decoded = try decoder.decode(line)
            } catch {
                invalid += 1
                if invalid <= 20, !quiet {
                    progress?.clear()
                    standardError("line \(lineNumber): \(error)")
                }
                continue
            }
            for failure in decoded.failures {
                invalid += 1
                if invalid <= 20, !quiet {
                    progress?.clear()
                    standardError("line \(lineNumber), record \(failure.record): \(failure.error)")
                }
            }
            for event in decoded.events {
                let partition =
                    partitions == 1
                    ? 0 : Int(KafkaPartitioner.partition(key: Array(event.actor.id.utf8), partitions: partitions))
                let raised = partition == 0 ? engine.process(event) : others[partition - 1].process(event)
                for alert in raised {
                    pending += alert.event.jsonBytes()
                    pending.append(UInt8(ascii: "\n"))
                }
            }
            if pending.count >= 1 << 20 {
                try sink.write(pending)
                pending.removeAll(keepingCapacity: true)
            }
        }
        try sink.write(pending)
        try sink.finish()
        progress?.clear()
        if let snapshotOut { try OutputFile.replace(snapshotOut, with: engine.snapshot()) }
        if !quiet {
            var s = engine.statistics
            for other in others {
                s.events += other.statistics.events
                s.late += other.statistics.late
                s.alerts += other.statistics.alerts
                s.alertsByDetector.merge(other.statistics.alertsByDetector, uniquingKeysWith: +)
            }
            let seconds = Date().timeIntervalSince(started)
            let byDetector = s.alertsByDetector.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
            standardError(
                "detect: \(s.events) events, \(invalid) invalid lines or records, \(s.late) late, \(s.alerts) alerts"
                    + (byDetector.isEmpty ? "" : " (\(byDetector.joined(separator: ", ")))")
                    + "; \(engine.trackedMembers + others.reduce(0) { $0 + $1.trackedMembers }) members, "
                    + "\(engine.trackedPairs + others.reduce(0) { $0 + $1.trackedPairs }) member x tool pairs tracked"
                    + String(format: "; %.1f s", seconds)
            )
        }
    }
}

/// The `detectors:` section of a pipeline file (the rest is checked for
/// structure only: an analyst's machine need not hold the worker's files).
func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
