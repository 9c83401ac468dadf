import Logging

/// The process's one logging set-up: every `Logger` made after `bootstrap`
/// (ours, librdkafka's callbacks, PostgreSQL's notices) writes through it.
public enum LogSetup {
    /// Installs the handler for the process. swift-log allows this once;
    /// commands call it first, before any logger exists.
    public static func bootstrap(format: LogFormat, level: Logger.Level) {
        LoggingSystem.bootstrap { label in LineLogHandler(label: label, format: format, level: level) }
    }

    /// Level names as swift-log spells them (`trace` ... `critical`).
    public static let levelNames = Logger.Level.allCases.map(\.rawValue)
}
