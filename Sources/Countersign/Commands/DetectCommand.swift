import ArgumentParser
import AuditDecoder
import AuditEvent
import Blocking
import Detection
import Foundation
import Pipeline
import Worker

/// `countersign detect`: the detection engine over a JSONL file, offline.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Run the detectors over a JSONL file of events and write the alerts as JSONL.",
        discussion: """
            The same engine as `run`, in event time: the same events in the same order give \
            byte-identical alerts. Each alert is an mcp.audit/1 event with event_kind \
            "detection". Lines that are not valid events are counted and listed by line \
            number and reason (never their content), and skipped. --snapshot-out saves the \
            engine's state at the end; --snapshot-in starts from one, so a file can be \
            processed in parts with the same result as in one go.
            """
    )

    @Option(help: "Events, one JSON object per line; '-' reads standard input.")
    var input: String

    @Option(help: "Where to write the alerts (JSONL); '-' writes to standard output.")
    var output: String = "-"

    @Option(help: "A pipeline file whose `detectors:` section sets the detectors.")
    var pipeline: String?

    @Option(help: "Start from this engine snapshot.")
    var snapshotIn: String?

    @Option(help: "Save the engine's state here at the end.")
    var snapshotOut: String?

    @Flag(help: "Print no progress or summary on standard error.")
    var quiet = false

    func run() throws {
        let settings = try pipeline.map(loadDetectionSettings) ?? DetectionSettings()
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
        let decoder = try AuditEventDecoder()
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
            let event: AuditEvent
            do {
                event = try decoder.decode(line)
            } catch {
                invalid += 1
                if invalid <= 20, !quiet {
                    progress?.clear()
                    standardError("line \(lineNumber): \(error)")
                }
                continue
            }
            for alert in engine.process(event) {
                pending += alert.event.jsonBytes()
                pending.append(UInt8(ascii: "\n"))
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
            let s = engine.statistics
            let seconds = Date().timeIntervalSince(started)
            let byDetector = s.alertsByDetector.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }
            standardError(
                "detect: \(s.events) events, \(invalid) invalid lines, \(s.late) late, \(s.alerts) alerts"
                    + (byDetector.isEmpty ? "" : " (\(byDetector.joined(separator: ", ")))")
                    + "; \(engine.trackedMembers) members, \(engine.trackedPairs) member x tool pairs tracked"
                    + String(format: "; %.1f s", seconds)
            )
        }
    }
}

/// The `detectors:` section of a pipeline file (the rest is checked for
/// structure only: an analyst's machine need not hold the worker's files).
func loadDetectionSettings(_ path: String) throws -> DetectionSettings {
    try PipelineLoading.load(path, checks: .none).detection
}

func standardError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
