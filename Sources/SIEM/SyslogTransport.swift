import Blocking

#if canImport(Glibc)
import Glibc
#endif

/// A syslog receiver's address and how to reach it.
public struct SyslogEndpoint: Sendable, Hashable {
    public enum Transport: String, Sendable, Hashable, CaseIterable {
        case udp
        case tcp
    }

    public enum Framing: String, Sendable, Hashable, CaseIterable {
        /// RFC 6587 octet counting (default for TCP).
        case octetCounting = "octet_counting"
        /// A LF after each message.
        case lf
    }

    public var host: String
    public var port: UInt16
    public var transport: Transport
    public var framing: Framing

    public init(host: String, port: UInt16, transport: Transport, framing: Framing = .octetCounting) {
        self.host = host
        self.port = port
        self.transport = transport
        self.framing = framing
    }
}

public struct SyslogSendError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// One socket to a syslog receiver. One instance owns one descriptor; every
/// call blocks in the kernel, so it runs on the connection's own serial
/// queue. A failed send closes the socket; the next send reconnects. Sends
/// use MSG_NOSIGNAL: a collector that hangs up is an error, not a SIGPIPE.
public final class SyslogConnection: @unchecked Sendable {
    public let endpoint: SyslogEndpoint
    private var descriptor: Int32 = -1
    private let blocking = BlockingQueue(label: "countersign.syslog")

    public init(endpoint: SyslogEndpoint) {
        self.endpoint = endpoint
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Sends messages in order: over TCP framed and written as one stream,
    /// over UDP one datagram each. Returns once the kernel took every byte.
    public func send(_ messages: [[UInt8]]) async throws(SyslogSendError) {
        let error: SyslogSendError? = await blocking.run { [self] in
            do throws(SyslogSendError) {
                try self.connectIfNeeded()
                switch self.endpoint.transport {
                case .tcp:
                    var stream: [UInt8] = []
                    stream.reserveCapacity(messages.reduce(0) { $0 + $1.count + 8 })
                    for message in messages {
                        stream +=
                            self.endpoint.framing == .octetCounting
                            ? SyslogFormat.octetCounted(message) : SyslogFormat.lineFramed(message)
                    }
                    try self.writeAll(stream)
                case .udp:
                    for message in messages { try self.writeDatagram(message) }
                }
                return nil
            } catch {
                self.disconnect()
                return error
            }
        }
        if let error { throw error }
    }

    private func connectIfNeeded() throws(SyslogSendError) {
        guard descriptor < 0 else { return }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(endpoint.transport == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list) == 0, let first = list else {
            throw SyslogSendError(description: "cannot resolve \(endpoint.host)")
        }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let candidate = entry {
            let fd = socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype, candidate.pointee.ai_protocol)
            if fd >= 0 {
                if connect(fd, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    if endpoint.transport == .tcp {
                        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    }
                    // Keep-alives notice a collector that vanished without closing.
                    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
                    descriptor = fd
                    return
                }
                close(fd)
            }
            entry = candidate.pointee.ai_next
        }
        throw SyslogSendError(
            description: "cannot connect to \(endpoint.host):\(endpoint.port) (\(endpoint.transport.rawValue))"
        )
    }

    private func writeAll(_ bytes: [UInt8]) throws(SyslogSendError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw SyslogSendError(
                    description:
                        "sending to \(endpoint.host):\(endpoint.port) failed: \(String(cString: strerror(errno)))"
                )
            }
            offset += written
        }
    }

    private func writeDatagram(_ bytes: [UInt8]) throws(SyslogSendError) {
        while true {
            let written = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL))
            }
            if written >= 0 { return }
            if errno == EINTR { continue }
            // ENOBUFS: the kernel's queue is full for a moment; wait and retry.
            if errno == ENOBUFS || errno == EAGAIN {
                usleep(100)
                continue
            }
            throw SyslogSendError(
                description: "sending to \(endpoint.host):\(endpoint.port) failed: \(String(cString: strerror(errno)))"
            )
        }
    }

    private func disconnect() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }
}
