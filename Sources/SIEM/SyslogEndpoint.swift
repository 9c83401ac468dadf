/// A syslog receiver's address and how to reach it.
public struct SyslogEndpoint: Sendable, Hashable {
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        case udp
        case tcp
        /// TCP with TLS (RFC 5425); always octet-counted.
        case tls
    }

    public enum Framing: String, Sendable, Hashable, CaseIterable {
        /// RFC 6587 octet counting (default for TCP, the only framing of TLS).
        case octetCounting = "octet_counting"
        /// A LF after each message.
        case lf
    }

    public var host: String
    public var port: UInt16
    public var transport: Transport
    public var framing: Framing
    /// Certificates for `tls`; ignored otherwise.
    public var tls: TLSOptions

    public init(
        host: String,
        port: UInt16,
        transport: Transport,
        framing: Framing = .octetCounting,
        tls: TLSOptions = TLSOptions()
    ) {
        self.host = host
        self.port = port
        self.transport = transport
        self.framing = transport == .tls ? .octetCounting : framing
        self.tls = tls
    }
}

/// How a TLS connection proves who is at the other end, both ways.
public struct TLSOptions: Sendable, Hashable {
    /// PEM file of the CA certificates that may sign the collector's
    /// certificate; nil trusts the system's store.
    public var caFile: String?
    /// PEM certificate chain and key presented when the collector asks for
    /// a client certificate.
    public var certificateFile: String?
    public var keyFile: String?
    /// The name the collector's certificate must carry (DNS name or IP
    /// address); nil means the host connected to.
    public var serverName: String?
    /// Checking the certificate and the name is on unless turned off
    /// explicitly (a lab collector with a self-made certificate).
    public var verify: Bool = true

    public init(
        caFile: String? = nil,
        certificateFile: String? = nil,
        keyFile: String? = nil,
        serverName: String? = nil,
        verify: Bool = true
    ) {
        self.caFile = caFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.serverName = serverName
        self.verify = verify
    }
}
