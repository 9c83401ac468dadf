import AuditEvent

extension PipelineFile {
    /// The keys of a `type: siem` sink (see docs/siem.md).
    static func siemSink(_ object: inout YAMLObject) throws(PipelineFileError) -> PipelineSpec.Sink.SIEM {
        try object.only([
            "type", "host", "port", "transport", "framing", "format", "facility", "hostname", "bom", "send",
            "max_message_bytes", "filter", "tls", "spool", "replay_window_seconds", "reconnect_max_seconds",
        ])
        var siem = PipelineSpec.Sink.SIEM()
        siem.host = try object.string("host")
        siem.transport = try object.enumeration("transport", default: .tcp)
        siem.port = try object.integer("port", default: siem.transport == .tls ? 6_514 : 514, in: 1...65_535)
        siem.framing = try object.enumeration("framing", default: .octetCounting)
        if siem.transport == .tls && siem.framing != .octetCounting {
            throw object.error(key: "framing", "TLS (RFC 5425) uses octet counting only")
        }
        siem.format = try object.enumeration("format", default: .rfc5424)
        siem.facility = try object.integer("facility", default: 13, in: 0...23)
        siem.hostname = try object.optionalString("hostname") ?? "-"
        siem.byteOrderMark = try object.boolean("bom", default: true)
        siem.send = try object.enumeration("send", default: .alerts)
        siem.maxMessageBytes = try object.optionalInteger("max_message_bytes", in: 480...65_536)
        siem.replayWindowSeconds = try object.number("replay_window_seconds", default: 2, in: 0...60)
        siem.reconnectMaxSeconds = try object.number("reconnect_max_seconds", default: 30, in: 0.1...3_600)
        if var filter = try object.optionalObject("filter") {
            guard siem.send == .all else {
                throw object.error(key: "filter", "a filter chooses events; it needs `send: all`")
            }
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
                    throw filter.error(
                        key: key,
                        "'\(wrong)' is not one of: \(allowed.joined(separator: ", "))"
                    )
                }
                lists[key] = list
            }
            try filter.finish()
            siem.filter = lists
        }
        if var tls = try object.optionalObject("tls") {
            guard siem.transport == .tls else { throw object.error(key: "tls", "needs `transport: tls`") }
            try tls.only(["ca_file", "cert_file", "key_file", "server_name", "verify"])
            siem.tls.caFile = try tls.optionalString("ca_file")
            siem.tls.certificateFile = try tls.optionalString("cert_file")
            siem.tls.keyFile = try tls.optionalString("key_file")
            siem.tls.serverName = try tls.optionalString("server_name")
            siem.tls.verify = try tls.boolean("verify", default: true)
            if siem.tls.keyFile != nil && siem.tls.certificateFile == nil {
                throw tls.error(key: "key_file", "needs cert_file")
            }
            try tls.finish()
        }
        if var spool = try object.optionalObject("spool") {
            try spool.only(["directory", "max_bytes", "when_full"])
            var settings = PipelineSpec.Sink.SIEM.Spool()
            settings.directory = try spool.string("directory")
            settings.maxBytes = try spool.integer("max_bytes", default: 256 << 20, in: (1 << 20)...(1 << 40))
            settings.whenFull = try spool.enumeration("when_full", default: .block)
            try spool.finish()
            siem.spool = settings
        }
        return siem
    }
}
