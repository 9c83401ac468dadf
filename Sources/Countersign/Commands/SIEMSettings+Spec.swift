import AuditEvent
import Pipeline
import SIEM

extension SIEMSettings {
    /// The settings of a `siem` sink in a pipeline file.
    init(_ spec: PipelineSpec.Sink.SIEM) {
        let transport: SyslogEndpoint.Transport =
            switch spec.transport {
            case .udp: .udp
            case .tcp: .tcp
            case .tls: .tls
            }
        let endpoint = SyslogEndpoint(
            host: spec.host,
            port: UInt16(spec.port),
            transport: transport,
            framing: spec.framing == .lf ? .lf : .octetCounting,
            tls: TLSOptions(
                caFile: spec.tls.caFile,
                certificateFile: spec.tls.certificateFile,
                keyFile: spec.tls.keyFile,
                serverName: spec.tls.serverName,
                verify: spec.tls.verify
            )
        )
        self.init(
            endpoint: endpoint,
            selection: spec.send == .all ? .all : .alerts,
            maxMessageBytes: spec.maxMessageBytes
        )
        format.standard = spec.format == .rfc3164 ? .rfc3164 : .rfc5424
        format.facility = spec.facility
        format.hostname = spec.hostname
        format.byteOrderMark = spec.byteOrderMark
        if let lists = spec.filter {
            filter = SIEMEventFilter(
                kinds: lists["kinds"].map { Set($0.compactMap(EventKind.init(rawValue:))) },
                statuses: lists["statuses"].map { Set($0.compactMap(OutcomeStatus.init(rawValue:))) },
                tenants: lists["tenants"].map(Set.init),
                tools: lists["tools"].map(Set.init)
            )
        }
        if let spool = spec.spool {
            let whenFull: SpoolSettings.WhenFull =
                switch spool.whenFull {
                case .block: .block
                case .dropNewest: .dropNewest
                case .dropOldest: .dropOldest
                }
            self.spool = SpoolSettings(directory: spool.directory, maxBytes: spool.maxBytes, whenFull: whenFull)
        }
        replayWindow = .milliseconds(Int64(spec.replayWindowSeconds * 1_000))
        reconnectMaximum = .milliseconds(Int64(spec.reconnectMaxSeconds * 1_000))
    }
}
