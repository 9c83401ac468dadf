import AuditEvent
import Pipeline

/// `type: siem` in a pipeline file (docs/siem.md): read straight into
/// ``SIEMSettings``, whose types and defaults are the ones the sink uses.
extension SIEMSink: SinkKind {
    public static let type = "siem"

    public static func settings(from entry: inout YAMLObject) throws(PipelineFileError) -> SIEMSettings {
        try entry.only([
            "type", "host", "port", "transport", "framing", "format", "facility", "hostname", "bom", "send",
            "max_message_bytes", "filter", "tls", "spool", "replay_window_seconds", "reconnect_max_seconds",
        ])
        let host = try entry.string("host")
        if let problem = hostProblem(host) { entry.note(entry.error(key: "host", problem)) }
        let transport: SyslogEndpoint.Transport = try entry.enumeration("transport", default: .tcp)
        let port = try entry.integer("port", default: transport == .tls ? 6_514 : 514, in: 1...65_535)
        let framing: SyslogEndpoint.Framing = try entry.enumeration("framing", default: .octetCounting)
        if transport == .tls && framing != .octetCounting {
            throw entry.error(key: "framing", "TLS (RFC 5425) uses octet counting only")
        }
        var endpoint = SyslogEndpoint(host: host, port: UInt16(port), transport: transport, framing: framing)
        if var tls = try entry.optionalObject("tls") {
            guard transport == .tls else { throw entry.error(key: "tls", "needs `transport: tls`") }
            endpoint.tls = try tlsOptions(&tls)
        }
        let selection: SIEMSelection = try entry.enumeration("send", default: .alerts)
        var settings = SIEMSettings(
            endpoint: endpoint,
            selection: selection,
            maxMessageBytes: try entry.optionalInteger("max_message_bytes", in: 480...65_536)
        )
        let format = SyslogFormat()
        settings.format.standard = try entry.enumeration("format", default: format.standard)
        settings.format.facility = try entry.integer("facility", default: format.facility, in: 0...23)
        settings.format.hostname = try entry.optionalString("hostname") ?? format.hostname
        settings.format.byteOrderMark = try entry.boolean("bom", default: format.byteOrderMark)
        settings.replayWindow = try seconds(&entry, "replay_window_seconds", settings.replayWindow, in: 0...60)
        settings.reconnectMaximum = try seconds(
            &entry,
            "reconnect_max_seconds",
            settings.reconnectMaximum,
            in: 0.1...3_600
        )
        if var filter = try entry.optionalObject("filter") {
            guard selection == .all else {
                throw entry.error(key: "filter", "a filter chooses events; it needs `send: all`")
            }
            settings.filter = try eventFilter(&filter)
        }
        if var spool = try entry.optionalObject("spool") {
            try spool.only(["directory", "max_bytes", "when_full"])
            let directory = try spool.string("directory")
            let defaults = SpoolSettings(directory: directory)
            settings.spool = SpoolSettings(
                directory: directory,
                maxBytes: try spool.integer("max_bytes", default: defaults.maxBytes, in: (1 << 20)...(1 << 40)),
                whenFull: try spool.enumeration("when_full", default: defaults.whenFull)
            )
            try spool.finish()
        }
        return settings
    }

    /// The sink; it is also the service that drains its spool between batches.
    public static func build(_ settings: SIEMSettings, context: SinkContext) throws -> BuiltSink {
        let sink = try SIEMSink(settings: settings)
        return BuiltSink(sink: sink, services: [sink]) {
            let counters = await sink.counters
            return [
                "run: siem \(counters.sent) sent, \(counters.spooled) spooled, \(counters.dropped) dropped by the "
                    + "spool policy, \(counters.replayed) replayed, \(counters.spoolDepth) waiting in the spool"
            ]
        }
    }

    /// A host name or address only: `siem.example:6514` or a URL would be
    /// looked up as a name and fail at the first alert, far from the typo.
    /// An IPv6 address (several colons, no brackets) is a host.
    static func hostProblem(_ host: String) -> String? {
        if host.contains("://") { return "expected a host name or address, not a URL; the port goes in `port`" }
        if host.hasPrefix("[") { return "expected an address without brackets or port; the port goes in `port`" }
        let colons = host.filter { $0 == ":" }.count
        if colons == 1 { return "expected a host name or address without ':port'; the port goes in `port`" }
        if host.contains(where: { $0 == " " || $0 == "/" }) { return "expected a host name or address" }
        return nil
    }

    private static func seconds(
        _ entry: inout YAMLObject,
        _ key: String,
        _ fallback: Duration,
        in range: ClosedRange<Double>
    ) throws(PipelineFileError) -> Duration {
        .milliseconds(Int64(try entry.number(key, default: fallback / .seconds(1), in: range) * 1_000))
    }

    private static func tlsOptions(_ tls: inout YAMLObject) throws(PipelineFileError) -> TLSOptions {
        try tls.only(["ca_file", "cert_file", "key_file", "server_name", "verify"])
        let options = TLSOptions(
            caFile: try tls.optionalFile("ca_file"),
            certificateFile: try tls.optionalFile("cert_file"),
            keyFile: try tls.optionalFile("key_file"),
            serverName: try tls.optionalString("server_name"),
            verify: try tls.boolean("verify", default: TLSOptions().verify)
        )
        if options.keyFile != nil && options.certificateFile == nil {
            throw tls.error(key: "key_file", "needs cert_file")
        }
        try tls.finish()
        return options
    }

    /// Lists of allowed kinds, statuses, tenants and tools; kinds and statuses checked against the schema.
    private static func eventFilter(_ filter: inout YAMLObject) throws(PipelineFileError) -> SIEMEventFilter {
        try filter.only(["kinds", "statuses", "tenants", "tools"])
        var lists: [String: [String]] = [:]
        for key in ["kinds", "statuses", "tenants", "tools"] {
            guard let list = try filter.optionalStringList(key) else { continue }
            let allowed: [String]? =
                switch key {
                case "kinds": EventKind.allCases.map(\.rawValue)
                case "statuses": OutcomeStatus.allCases.map(\.rawValue)
                default: nil
                }
            if let allowed, let wrong = list.first(where: { !allowed.contains($0) }) {
                throw filter.error(key: key, "'\(wrong)' is not one of: \(allowed.joined(separator: ", "))")
            }
            lists[key] = list
        }
        try filter.finish()
        return SIEMEventFilter(
            kinds: lists["kinds"].map { Set($0.compactMap(EventKind.init(rawValue:))) },
            statuses: lists["statuses"].map { Set($0.compactMap(OutcomeStatus.init(rawValue:))) },
            tenants: lists["tenants"].map(Set.init),
            tools: lists["tools"].map(Set.init)
        )
    }
}
