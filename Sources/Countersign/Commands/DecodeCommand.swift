import ArgumentParser
import AuditEvent
import Foundation
import GatewayFormats
import Pipeline
import Worker

/// `countersign decode`: what the worker makes of messages in a given
/// format, as mcp.audit/1 JSON lines: for trying a gateway's output, or a
/// pipeline file's `source.mapping`, before pointing a worker at it.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode messages of a source format into mcp.audit/1 events (JSON lines on standard output).",
        discussion: """
            Each FILE is one message (an OTLP export request, protobuf or JSON), or with \
            --lines each line of it is one (the JSON-lines, CEF and log formats; the default \
            for them). Records that fail are reported on standard error with the message, \
            the record's place, the field and the rule (never the value); the exit status \
            is 1 when any did. --pipeline takes the format and source.mapping from a \
            pipeline file.
            """
    )

    @Option(help: "The source format: \(MessageFormats.names.joined(separator: ", ")).")
    var format: String?

    @Option(help: "A pipeline file whose source.format and source.mapping to use.")
    var pipeline: String?

    @Flag(inversion: .prefixedNo, help: "One message per line (default for every format but otlp).")
    var lines: Bool?

    @Argument(help: "Files to decode; '-' reads standard input.")
    var files: [String] = ["-"]

    func run() throws {
        var settings = FormatSettings()
        var name = format ?? "otlp"
        if let pipeline {
            let spec = try PipelineLoading.load(pipeline, checks: .none)
            if format == nil { name = spec.source.format }
            settings = FormatSettings(spec)
        }
        let decoder: any MessageFormat
        do {
            decoder = try MessageFormats.make(name, settings: settings)
        } catch let error as TopicDecoders.UnknownFormat {
            throw ValidationError("\(error)")
        }
        let perLine = lines ?? (name != "otlp")
        var counts = (messages: 0, events: 0, failed: 0, skipped: 0)
        let output = FileHandle.standardOutput
        for file in files {
            let data =
                file == "-"
                ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
            let bytes = [UInt8](data)
            let messages: [(label: String, bytes: [UInt8])] =
                perLine
                ? bytes.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated().compactMap {
                    let line = $0.element.last == 0x0D ? $0.element.dropLast() : $0.element
                    return line.isEmpty ? nil : ("\(file):\($0.offset + 1)", Array(line))
                }
                : [(file, bytes)]
            for message in messages {
                counts.messages += 1
                do {
                    let decoded = try decoder.decode(message.bytes)
                    for event in decoded.events {
                        output.write(Data(event.jsonBytes() + [0x0A]))
                    }
                    counts.events += decoded.events.count
                    counts.skipped += decoded.skipped
                    for failure in decoded.failures {
                        counts.failed += 1
                        FileHandle.standardError.write(
                            Data("\(message.label): record \(failure.record): \(failure.error)\n".utf8)
                        )
                    }
                } catch {
                    counts.failed += 1
                    FileHandle.standardError.write(Data("\(message.label): \(error)\n".utf8))
                }
            }
        }
        FileHandle.standardError.write(
            Data(
                "\(counts.messages) messages: \(counts.events) events, \(counts.failed) failed, \(counts.skipped) records not MCP calls (skipped)\n"
                    .utf8
            )
        )
        if counts.failed > 0 { throw ExitCode(1) }
    }
}
