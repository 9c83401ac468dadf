import AuditEvent
import Pipeline
import SIEM
import Testing

@Suite("Pipeline files: the siem sink")
struct SIEMPipelineTests {
    func siem(_ body: String) -> String {
        minimal.replacingOccurrences(of: "  - type: null", with: "  - type: siem\n" + body)
    }

    @Test("TLS, spool, filter and delivery keys decode")
    func full() throws {
        let spec = try decode(
            siem(
                """
                    host: siem.internal
                    transport: tls
                    tls: {ca_file: /etc/ca.pem, cert_file: /etc/c.pem, key_file: /etc/c.key, server_name: siem}
                    spool: {directory: /var/spool/cs, max_bytes: 1048576, when_full: drop_oldest}
                    send: all
                    filter: {statuses: [denied, timeout], tools: [send_email]}
                    replay_window_seconds: 5
                    reconnect_max_seconds: 10
                """
            )
        )
        let sink = try #require(spec.sinks.first?.settings as? SIEMSettings)
        #expect(sink.endpoint.port == 6_514)
        #expect(sink.endpoint.transport == .tls)
        #expect(sink.endpoint.tls.caFile == "/etc/ca.pem")
        #expect(sink.endpoint.tls.keyFile == "/etc/c.key")
        #expect(sink.endpoint.tls.serverName == "siem")
        #expect(sink.endpoint.tls.verify)
        #expect(sink.spool?.whenFull == .dropOldest)
        #expect(sink.spool?.maxBytes == 1_048_576)
        #expect(sink.filter?.statuses == [.denied, .timeout])
        #expect(sink.filter?.tools == ["send_email"])
        #expect(sink.filter?.kinds == nil)
        #expect(sink.replayWindow == .seconds(5))
        #expect(sink.reconnectMaximum == .seconds(10))
        #expect(sink.selection == .all)
    }

    @Test("defaults are the sink's own")
    func defaults() throws {
        let spec = try decode(siem("    host: collector\n"))
        let sink = try #require(spec.sinks.first?.settings as? SIEMSettings)
        let format = SyslogFormat()
        #expect(sink.endpoint.port == 514 && sink.endpoint.transport == .tcp)
        #expect(sink.format.facility == format.facility && sink.format.standard == format.standard)
        #expect(sink.selection == .alerts)
        #expect(sink.maxMessageBytes == 8_192)
        #expect(sink.spool == nil)
    }

    @Test(
        "mistakes are named",
        arguments: [
            ("    host: h\n    transport: tls\n    framing: lf\n", "TLS (RFC 5425) uses octet counting only"),
            ("    host: h\n    tls: {ca_file: x}\n", "needs `transport: tls`"),
            ("    host: h\n    filter: {tools: [a]}\n", "a filter chooses events; it needs `send: all`"),
            (
                "    host: h\n    send: all\n    filter: {statuses: [oops]}\n",
                "'oops' is not one of: success, tool_error, protocol_error, denied, timeout, rate_limited, "
                    + "approval_required, cancelled, unknown"
            ),
            ("    host: h\n    spool: {max_bytes: 2000000}\n", "required"),
            (
                "    host: h\n    spool: {directory: d, when_full: wait}\n",
                "expected one of: block, drop_newest, drop_oldest"
            ),
        ] as [(String, String)]
    )
    func mistakes(body: String, message: String) {
        let error = #expect(throws: PipelineFileError.self) { try decode(siem(body)) }
        #expect(error?.message == message)
    }
}
