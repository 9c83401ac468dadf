import Pipeline
import SIEM

extension SIEMSettings {
    /// The settings of a `siem` sink in a pipeline file.
    init(_ spec: PipelineSpec.Sink.SIEM) {
        let endpoint = SyslogEndpoint(
            host: spec.host,
            port: UInt16(spec.port),
            transport: spec.transport == .udp ? .udp : .tcp,
            framing: spec.framing == .lf ? .lf : .octetCounting
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
    }
}
