import ArgumentParser
import Detection
import Foundation
import Kafka
import Ledger
import Logging
import Pipeline

/// `countersign replay`: a range of history through the detectors, from
/// Kafka or from the cold ledger, with the engines `run` uses, so that the
/// alerts are the ones live raised.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Re-run a time range of history through the detectors, from Kafka or from the ledger.",
        discussion: """
            Messages are read per partition in offset order and judged by one engine per \
            partition, as `run` judges them, so a replay of what `run` consumed raises the \
            alerts it raised, with the same ids. From Kafka (the pipeline's source) the \
            replay reads each partition from its beginning to its end at the start, in a \
            consumer group of its own that commits nothing. From the ledger (--from-ledger) \
            it reads every entry, recomputes the tree while reading and reports nothing \
            unless the root equals the signed checkpoint's; the summary names the \
            checkpoint. Events from --from minus --warmup teach the baselines silently; \
            alerts with a time in [--from, --to) are written as JSONL (mcp.audit/1 \
            detection events). --sink TYPE also writes the range's events and alerts to \
            the pipeline's sinks of that type (re-filling the hot tier: ids make it \
            idempotent); from the ledger, the whole ledger is verified first. Exit status: 0 done, \
            1 the source could not be read, 3 the ledger does not verify, 64 a usage \
            error. docs/replay.md has recipes.
            """
    )

    @Option(help: "The pipeline file: its source, formats, mapping and detectors.")
    var pipeline: String

    @Option(name: .customLong("from-ledger"), help: "Replay the ledger in this directory instead of Kafka.")
    var fromLedger: String?

    @Option(help: "The ledger's verifier key file (<name>+<id>+<key>), with --from-ledger.")
    var key: String?

    @Option(
        help: "Start of the range: RFC 3339, or relative to now written --from=-2h (or -7d). Default: the beginning."
    )
    var from: String?

    @Option(help: "End of the range (not included): RFC 3339, or relative (--to=-1h). Default: the end.")
    var to: String?

    @Option(help: "Learning before --from, silently: 90s, 30m, 24h, 7d, or 0.")
    var warmup: String = "7d"

    @Option(help: "From Kafka, the first offset per partition: PARTITION:OFFSET[,...] (of every topic replayed).")
    var fromOffset: String?

    @Option(help: "From Kafka, the offset to stop before per partition: PARTITION:OFFSET[,...].")
    var toOffset: String?

    @Option(help: "Only these topics (comma-separated).")
    var topics: String?

    @Option(help: "Only these partition numbers (comma-separated).")
    var partitions: String?

    @Option(help: "Where to write the alerts (JSONL); '-' is standard output.")
    var alertsOut: String = "-"

    @Option(
        name: .customLong("sink"),
        help: "Also write the range's events and alerts to the pipeline's sinks of this type (repeatable)."
    )
    var sinkTypes: [String] = []

    @Flag(help: "Write no sink, only the alerts (the default without --sink; refused with it).")
    var dryRun = false

    @Flag(help: "Print no progress or summary on standard error.")
    var quiet = false

    @OptionGroup var log: LogOptions

    func run() async throws {
        do {
            try await replay()
        } catch let error as ReplayError {
            FileHandle.standardError.write(Data("countersign replay: \(error)\n".utf8))
            throw ExitCode(error.exitStatus)
        }
    }

    private func replay() async throws {
        let spec: PipelineSpec
        do {
            spec = try PipelineLoading.load(pipeline, checks: .none)
        } catch {
            throw ReplayError.usage("\(error)")
        }
        let range = ReplayRange(
            from: try from.map { try ReplayRange.time($0) },
            to: try to.map { try ReplayRange.time($0) },
            warmupMicroseconds: try ReplayRange.duration(warmup) * 1_000_000
        )
        if let start = range.from, let end = range.to, end <= start {
            throw ReplayError.usage("--to must come after --from")
        }
        let topicFilter = topics.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        var partitionFilter: Set<Int32>?
        if let partitions {
            var numbers: Set<Int32> = []
            for part in partitions.split(separator: ",") {
                guard let number = Int32(part.trimmingCharacters(in: .whitespaces)) else {
                    throw ReplayError.usage("--partitions takes numbers: '\(part)'")
                }
                numbers.insert(number)
            }
            partitionFilter = numbers
        }
        if dryRun && !sinkTypes.isEmpty {
            throw ReplayError.usage("--dry-run writes no sink: drop --sink or --dry-run")
        }
        log.bootstrap(spec.log)
        let replayer = try Replayer(spec: spec, range: range, topics: topicFilter, partitions: partitionFilter)
        if !sinkTypes.isEmpty {
            replayer.sinks = try ReplaySinks(sinkTypes, spec: spec, logger: Logger(label: "countersign.replay"))
        }
        let started = ContinuousClock.now
        let output = alertsOut
        var verifiedAgainst: String?
        if fromLedger != nil, fromOffset != nil || toOffset != nil {
            throw ReplayError.usage("--from-offset and --to-offset are Kafka positions: not with --from-ledger")
        }
        if let fromLedger {
            guard let key else { throw ReplayError.usage("--from-ledger needs --key, the ledger's verifier key") }
            guard let text = try? String(contentsOfFile: key, encoding: .utf8),
                let verifier = try? NoteVerifier(verifierKey: text)
            else { throw ReplayError.usage("cannot read a verifier key from '\(key)'") }
            let progress =
                quiet
                ? nil
                : ProgressLine("replay (ledger)", counting: .items("entries"), dataOnStandardOutput: output == "-")
            let archive = LedgerArchive(storage: try LedgerStorages.open(fromLedger), origin: verifier.name)
            if replayer.sinks != nil {
                // Sinks are written while reading: verify everything first.
                do {
                    _ = try archive.verify(verifier: verifier)
                } catch {
                    throw ReplayError.ledgerNotVerified("the ledger does not verify: \(error)")
                }
            }
            let verified = try await LedgerReplaySource(archive: archive, verifier: verifier)
                .replay(into: replayer, progress: progress)
            progress?.clear()
            verifiedAgainst = verified.summary
        } else {
            let progress =
                quiet
                ? nil
                : ProgressLine("replay (kafka)", counting: .items("messages"), dataOnStandardOutput: output == "-")
            let topics = topicFilter.map { Array($0).sorted() } ?? spec.source.topics
            var source = KafkaReplaySource(properties: KafkaProperties(spec.source.kafka), topics: topics)
            source.fromOffsets = try Self.offsets(fromOffset, option: "--from-offset")
            source.toOffsets = try Self.offsets(toOffset, option: "--to-offset")
            // Kafka timestamps trail event times by the gateway's and the
            // collector's batching; an hour's margin keeps late producers in.
            source.fromTime = range.feedFrom.map { $0.microsecondsSinceEpoch / 1_000 - 3_600_000 }
            source.toTime = range.to.map { $0.microsecondsSinceEpoch / 1_000 + 3_600_000 }
            do {
                _ = try await source.replay(into: replayer, progress: progress)
            } catch let error as KafkaError {
                throw ReplayError.source("Kafka: \(error)")
            }
            progress?.clear()
        }
        await replayer.sinks?.finish()
        try write(replayer.alerts, to: output)
        guard !quiet else { return }
        let seconds = (ContinuousClock.now - started) / .seconds(1)
        var byDetector: [String: Int] = [:]
        for alert in replayer.alerts { byDetector[alert.detector.rawValue, default: 0] += 1 }
        var lines = [
            "replay: \(replayer.messages) messages, \(replayer.events) events (\(replayer.fed) fed to the detectors, \(replayer.undecodable) messages undecodable), \(replayer.alerts.count) alerts in range, \(String(format: "%.1f", seconds)) s"
        ]
        if !byDetector.isEmpty {
            lines.append(
                "replay: alerts by detector: "
                    + byDetector.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            )
        }
        if let sinks = replayer.sinks {
            lines.append(
                "replay: \(sinks.written) events and \(replayer.alerts.count) alerts written to \(sinkTypes.joined(separator: ", ")) (\(sinks.rejected) rows refused)"
            )
        }
        if replayer.detection.seededPartitions > 0 {
            lines.append(
                "replay: \(replayer.detection.seededPartitions) partitions started from detection snapshots older than --from (no warm-up needed there)"
            )
        }
        if let verifiedAgainst { lines.append("replay: verified against the signed checkpoint \(verifiedAgainst)") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    /// `0:1200,3:900` as partition -> offset.
    static func offsets(_ text: String?, option: String) throws -> [Int32: Int64] {
        guard let text else { return [:] }
        var result: [Int32: Int64] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":")
            guard parts.count == 2, let partition = Int32(parts[0]), let offset = Int64(parts[1]), offset >= 0 else {
                throw ReplayError.usage("\(option) takes PARTITION:OFFSET pairs, comma-separated: '\(pair)'")
            }
            result[partition] = offset
        }
        return result
    }

    private func write(_ alerts: [Alert], to path: String) throws {
        var bytes: [UInt8] = []
        for alert in alerts {
            bytes += alert.event.jsonBytes()
            bytes.append(0x0A)
        }
        if path == "-" {
            FileHandle.standardOutput.write(Data(bytes))
        } else {
            do {
                try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw ReplayError.usage("cannot write \(path): \(error.localizedDescription)")
            }
        }
    }
}
