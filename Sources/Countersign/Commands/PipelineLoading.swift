import ArgumentParser
import Foundation
import Logging
import Logs
import Pipeline
import Worker

/// A command's failure that is not a usage mistake: printed as
/// `Error: <message>` without the usage text (the flags were fine; the
/// file, the address or the server was not).
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Every problem of a pipeline file, one per line, in line order.
struct PipelineFileProblems: Error, CustomStringConvertible {
    let errors: [PipelineFileError]

    var description: String {
        let count = errors.count == 1 ? "1 problem" : "\(errors.count) problems"
        return "the pipeline file has \(count):\n" + errors.map { "  \($0)" }.joined(separator: "\n")
    }
}

/// Reading pipeline files the same way in every command: `${NAME}` from
/// this process's environment, the sink kinds of the worker, and the live
/// checks (librdkafka judges the Kafka properties, named files must exist).
enum PipelineLoading {
    static func diagnose(
        _ path: String,
        checks: PipelineChecks = .live
    ) -> (spec: PipelineSpec?, errors: [PipelineFileError]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "no such file"
            return (nil, [PipelineFileError(file: path, line: nil, key: nil, message: reason)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, [PipelineFileError(file: path, line: nil, key: nil, message: "is not UTF-8 text")])
        }
        return PipelineFile.diagnose(
            text,
            file: path,
            environment: ProcessInfo.processInfo.environment,
            kinds: SinkKinds.all,
            checks: checks
        )
    }

    static func load(_ path: String, checks: PipelineChecks = .live) throws -> PipelineSpec {
        let (spec, errors) = diagnose(path, checks: checks)
        guard let spec, errors.isEmpty else { throw PipelineFileProblems(errors: errors) }
        return spec
    }
}

/// `--log-level` and `--log-format`: override the pipeline file's `log:`
/// section (commands without one use these or their defaults).
struct LogOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Least severe records written: \(LogSetup.levelNames.joined(separator: ", ")).",
            valueName: "level"
        )
    )
    var logLevel: String?

    @Option(
        help: ArgumentHelp(
            "Record layout: text (one line per record) or json (one object per line).",
            valueName: "format"
        )
    )
    var logFormat: String?

    func validate() throws {
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError("--log-level must be one of: \(LogSetup.levelNames.joined(separator: ", "))")
        }
        if let logFormat, LogFormat(rawValue: logFormat) == nil {
            throw ValidationError("--log-format must be one of: text, json")
        }
    }

    /// Sets up logging for the process from the flags over `settings`.
    func bootstrap(_ settings: PipelineSpec.Log = PipelineSpec.Log()) {
        LogSetup.bootstrap(
            format: logFormat.flatMap(LogFormat.init(rawValue:)) ?? settings.format,
            level: logLevel.flatMap(Logger.Level.init(rawValue:)) ?? settings.level
        )
    }
}
