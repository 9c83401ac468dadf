import Logging

#if canImport(Glibc)
import Glibc
#endif

/// One record per line on standard error, as `text` (time, level, label,
/// message, then `key=value` fields) or as one JSON object whose fields sit
/// beside `time`, `level`, `logger` and `message` (a collector indexes them
/// without parsing the message).
///
/// Values are written as given: callers keep secrets and event payloads out
/// of messages and metadata (the pipeline redacts at the source).
public struct LineLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let format: LogFormat
    let output: LogOutput

    public init(label: String, format: LogFormat, level: Logger.Level, output: LogOutput = .standardError) {
        self.label = label
        self.format = format
        self.logLevel = level
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let time = LogTime.now()
        let line: String
        switch format {
        case .text:
            line = LogLine.text(time: time, level: event.level, label: label, message: "\(event.message)", fields)
        case .json:
            line = LogLine.json(time: time, level: event.level, label: label, message: "\(event.message)", fields)
        }
        output.write(line)
    }
}
