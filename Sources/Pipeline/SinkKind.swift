import Logging
import ServiceLifecycle

/// A kind of sink as pipeline files name it: its `type`, its settings (read
/// from the sink's entry by the kind itself, so that every key and every
/// default is declared once, next to the sink), and how a worker builds it.
///
/// A new sink is one folder holding the sink and its conformance, and one
/// line in the worker's registry (`SinkKinds.all`).
public protocol SinkKind: SendableMetatype {
    associatedtype Settings: Sendable
    /// The `type` of a `sinks:` entry.
    static var type: String { get }
    /// Reads the entry (its `type` key is read already); calls `only` and
    /// `finish` itself, so that unknown keys are named.
    static func settings(from entry: inout YAMLObject) throws(PipelineFileError) -> Settings
    /// The sink, and the services it needs running beside it.
    static func build(_ settings: Settings, context: SinkContext) throws -> BuiltSink
}

/// What a sink may use when a worker builds it.
public struct SinkContext: Sendable {
    public var logger: Logger

    public init(logger: Logger) {
        self.logger = logger
    }
}

/// A sink built for a run: the sink, the long-running parts it needs (a
/// spool drainer, partition maintenance), and its lines for the run summary.
public struct BuiltSink: Sendable {
    public var sink: any Sink
    public var services: [any Service]
    public var report: @Sendable () async -> [String]

    public init(sink: any Sink, services: [any Service] = [], report: @escaping @Sendable () async -> [String] = { [] })
    {
        self.sink = sink
        self.services = services
        self.report = report
    }
}

/// One entry of `sinks:`, read: its type and settings, and how to build it.
///
/// Two keys every entry may have: `required` (default true: the sink's
/// acknowledgement gates offset commits) and `when_full` (`block`, the
/// default: the source waits for the sink; `skip`, only with `required:
/// false`: a batch that finds the sink's queue full is not given to it).
public struct SinkEntry: Sendable {
    public let type: String
    public let settings: any Sendable
    public var required = true
    public var whenFull = SinkPolicy.WhenFull.block
    private let builder: @Sendable (SinkContext) throws -> BuiltSink

    init<Kind: SinkKind>(_ kind: Kind.Type, settings: Kind.Settings) {
        type = Kind.type
        self.settings = settings
        builder = { context in try Kind.build(settings, context: context) }
    }

    /// Reads an entry of `kind`, its shared keys first.
    static func read<Kind: SinkKind>(
        _ kind: Kind.Type,
        _ entry: inout YAMLObject
    ) throws(PipelineFileError) -> SinkEntry {
        let required = try entry.boolean("required", default: true)
        let whenFull: SinkPolicy.WhenFull = try entry.enumeration("when_full", default: .block)
        if required && whenFull == .skip {
            throw entry.error(key: "when_full", "`skip` loses batches; it needs `required: false`")
        }
        var read = SinkEntry(kind, settings: try Kind.settings(from: &entry))
        read.required = required
        read.whenFull = whenFull
        return read
    }

    /// How the delivery machine treats the sink, with a queue of `capacity` batches.
    public func policy(name: String, capacity: Int) -> SinkPolicy {
        SinkPolicy(name: name, capacity: capacity, whenFull: whenFull, required: required)
    }

    public func build(context: SinkContext) throws -> BuiltSink { try builder(context) }
}
