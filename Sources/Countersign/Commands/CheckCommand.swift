import ArgumentParser
import Foundation
import Pipeline
import Worker

/// `countersign check`: validates pipeline files without running them.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate pipeline files; errors name the file, the line and the key.",
        discussion: """
            Reports every problem of each file in line order, not only the first: unknown keys \
            (with the closest known one), wrong types and ranges, Kafka properties librdkafka \
            refuses, files named in the pipeline that cannot be read (certificates, keys, the \
            ledger's signing key), a dead-letter or alerts topic that is also consumed (a \
            feedback loop) and a SIEM host given with a port. `${NAME}` values are taken from \
            the current environment, as `run` would.

            Exit codes: 0 every file is valid; 1 a file has a problem (each on standard error \
            as FILE:LINE: KEY: MESSAGE); 64 the command line itself is wrong.
            """
    )

    @Argument(help: "Pipeline files (YAML).")
    var files: [String] = []

    @Flag(help: "Print the configuration reference (Markdown, every key the decoder reads) and exit.")
    var reference = false

    func validate() throws {
        if files.isEmpty && !reference { throw ValidationError("name at least one pipeline file") }
    }

    func run() throws {
        if reference {
            print(PipelineReference.markdown(kinds: SinkKinds.all), terminator: "")
            return
        }
        var failed = false
        for file in files {
            let (spec, errors) = PipelineLoading.diagnose(file)
            guard let spec, errors.isEmpty else {
                failed = true
                for error in errors { FileHandle.standardError.write(Data("\(error)\n".utf8)) }
                let count = errors.count == 1 ? "1 problem" : "\(errors.count) problems"
                FileHandle.standardError.write(Data("\(file): \(count)\n".utf8))
                continue
            }
            let sinks = spec.sinks.map(\.type).joined(separator: ", ")
            var parts = ["topics \(spec.source.topics.joined(separator: ", "))", "sinks \(sinks)"]
            if let ledger = spec.ledger {
                parts.append(
                    "ledger in "
                        + (ledger.s3.map { "s3://\($0.bucket)" + ($0.prefix.isEmpty ? "" : "/\($0.prefix)") }
                            ?? ledger.directory)
                )
            }
            if let metrics = spec.metrics { parts.append("metrics on \(metrics.host):\(metrics.port)") }
            print("\(file): ok (\(parts.joined(separator: "; ")))")
        }
        if failed { throw ExitCode(1) }
    }
}
