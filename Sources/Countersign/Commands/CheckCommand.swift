import ArgumentParser
import Foundation
import Pipeline
import Worker

/// `countersign check`: validates pipeline files without running them.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate pipeline files; errors name the file, the line and the key.",
        discussion: "`${NAME}` values are taken from the current environment, as `run` would. Exits 1 on any error."
    )

    @Argument(help: "Pipeline files (YAML).")
    var files: [String]

    func run() throws {
        var failed = false
        for file in files {
            do {
                let text = try readText(file)
                let spec = try PipelineFile.decode(
                    text,
                    file: file,
                    environment: ProcessInfo.processInfo.environment,
                    kinds: SinkKinds.all
                )
                let sinks = spec.sinks.map(\.type).joined(separator: ", ")
                var parts = ["topics \(spec.source.topics.joined(separator: ", "))", "sinks \(sinks)"]
                if let ledger = spec.ledger { parts.append("ledger in \(ledger.directory)") }
                if let metrics = spec.metrics { parts.append("metrics on \(metrics.host):\(metrics.port)") }
                print("\(file): ok (\(parts.joined(separator: "; ")))")
            } catch {  // typed: the block throws only PipelineFileError
                failed = true
                FileHandle.standardError.write(Data("\(error)\n".utf8))
            }
        }
        if failed { throw ExitCode(1) }
    }

    private func readText(_ file: String) throws(PipelineFileError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw PipelineFileError(file: file, line: nil, key: nil, message: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw PipelineFileError(file: file, line: nil, key: nil, message: "is not UTF-8 text")
        }
        return text
    }
}
