#if canImport(Glibc)
import Glibc
#endif

public struct SyslogSendError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// One socket (and, for TLS, one session) to a syslog receiver. Every call
/// blocks in the kernel: the owner calls it from one serial queue, never
/// from Swift's cooperative pool. A failed send closes the socket; the next
/// send connects again. Sends use MSG_NOSIGNAL: a collector that hangs up is
/// an error, not a SIGPIPE.
final class SyslogConnection {
    let endpoint: SyslogEndpoint
    private var descriptor: Int32 = -1
    private var tlsContext: TLSContext?
    private var tls: TLSStream?

    init(endpoint: SyslogEndpoint) {
        self.endpoint = endpoint
    }

    deinit { disconnect(graceful: true) }

    var isConnected: Bool { descriptor >= 0 }

    /// Whether a stream connection still looks open: the collector never
    /// writes to us, so a hang-up (FIN, RST) or an error is the only thing
    /// poll can report. UDP is connectionless and always "open".
    func looksOpen() -> Bool {
        guard descriptor >= 0 else { return false }
        guard endpoint.transport != .udp else { return true }
        // POLLRDHUP (Linux, hidden behind _GNU_SOURCE in the C headers).
        let peerHungUp: Int16 = 0x2000
        var entry = pollfd(fd: descriptor, events: peerHungUp, revents: 0)
        guard poll(&entry, 1, 0) >= 0 else { return false }
        return entry.revents & (peerHungUp | Int16(POLLHUP) | Int16(POLLERR)) == 0
    }

    /// Sends messages in order: over TCP and TLS framed and written as one
    /// stream, over UDP one datagram each. Returns once the kernel took
    /// every byte; on error the connection is closed.
    func send(_ messages: [[UInt8]]) throws(SyslogSendError) {
        do {
            try connectIfNeeded()
            switch endpoint.transport {
            case .tcp, .tls:
                var stream: [UInt8] = []
                stream.reserveCapacity(messages.reduce(0) { $0 + $1.count + 8 })
                for message in messages {
                    if endpoint.framing == .octetCounting {
                        SyslogFormat.appendOctetCounted(message, to: &stream)
                    } else {
                        SyslogFormat.appendLineFramed(message, to: &stream)
                    }
                }
                if let tls { try tls.writeAll(stream) } else { try writeAll(stream) }
            case .udp:
                for message in messages { try writeDatagram(message) }
            }
        } catch {
            disconnect()
            throw error
        }
    }

    func connectIfNeeded() throws(SyslogSendError) {
        guard descriptor < 0 else { return }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(endpoint.transport == .udp ? SOCK_DGRAM.rawValue : SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list) == 0, let first = list else {
            throw SyslogSendError(description: "cannot resolve \(endpoint.host)")
        }
        defer { freeaddrinfo(list) }
        var entry: UnsafeMutablePointer<addrinfo>? = first
        var connected: Int32 = -1
        var lastError: Int32 = 0
        while let candidate = entry, connected < 0 {
            let fd = socket(candidate.pointee.ai_family, candidate.pointee.ai_socktype, candidate.pointee.ai_protocol)
            if fd >= 0 {
                if connect(fd, candidate.pointee.ai_addr, candidate.pointee.ai_addrlen) == 0 {
                    connected = fd
                } else {
                    lastError = errno
                    close(fd)
                }
            } else {
                lastError = errno
            }
            entry = candidate.pointee.ai_next
        }
        guard connected >= 0 else {
            let reason = lastError == 0 ? "" : ": \(String(cString: strerror(lastError)).lowercased())"
            throw SyslogSendError(
                description:
                    "cannot connect to \(endpoint.host):\(endpoint.port) (\(endpoint.transport.rawValue))\(reason)"
            )
        }
        var one: Int32 = 1
        if endpoint.transport != .udp {
            setsockopt(connected, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            // Keep-alives notice a collector that vanished without closing.
            setsockopt(connected, SOL_SOCKET, SO_KEEPALIVE, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        descriptor = connected
        if endpoint.transport == .tls {
            do {
                if tlsContext == nil { tlsContext = try TLSContext(options: endpoint.tls) }
                tls = try TLSStream(context: tlsContext!, descriptor: connected, host: endpoint.host)
            } catch {
                disconnect()
                throw error
            }
        }
    }

    private func writeAll(_ bytes: [UInt8]) throws(SyslogSendError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                Glibc.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw failure()
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
            throw failure()
        }
    }

    private func failure() -> SyslogSendError {
        SyslogSendError(
            description: "sending to \(endpoint.host):\(endpoint.port) failed: \(String(cString: strerror(errno)))"
        )
    }

    /// Closes the socket. A graceful close of a TLS session first sends
    /// close_notify (RFC 5425), without waiting: the socket is made
    /// non-blocking so a collector that stopped reading cannot hold us.
    func disconnect(graceful: Bool = false) {
        if graceful, let tls, descriptor >= 0 {
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
            tls.shutdown()
        }
        tls = nil
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
    }
}
