import AuditEvent
import Detection
import Foundation
import Pipeline
import SIEM

#if canImport(Glibc)
import Glibc
#endif

/// CEF encoding + syslog framing + sending, over TCP (octet counting) and
/// UDP, to an in-process receiver on loopback that reads and discards.
/// Timed from the first batch to the last send returning.
struct SIEMBenchmark {
    var messages: Int

    func run() async throws {
        let alerts = (0..<1_000).map { index in
            Alert(
                detector: .spike,
                scope: .memberTool,
                tenant: "acme",
                member: "member-\(index)@acme.example",
                tool: "run_query",
                at: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000 + Int64(index) * 1_000),
                windowStart: Timestamp(microsecondsSinceEpoch: 1_787_219_940_000_000),
                windowEnd: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000),
                observed: 120,
                baselineMean: 3.5,
                baselineSpread: 1.9,
                score: 0.8,
                severity: 8,
                contributingEventIDs: ["7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44"],
                alertID: "5a1c0f6e-0000-8000-8000-\(String(format: "%012d", index))"
            )
        }
        for transport in [SyslogEndpoint.Transport.tcp, .udp] {
            let receiver = try Receiver(transport: transport)
            let sink = try SIEMSink(
                settings: SIEMSettings(
                    endpoint: SyslogEndpoint(host: "127.0.0.1", port: receiver.port, transport: transport)
                )
            )
            let clock = ContinuousClock()
            let start = clock.now
            var sent = 0
            while sent < messages {
                _ = try await sink.write(EventBatch(events: [], alerts: alerts))
                sent += alerts.count
            }
            let elapsed = seconds(clock.now - start)
            report(
                "siem: \(transport.rawValue) encode + frame + send  \(format(Double(sent) / elapsed)) messages/s"
                    + "  (\(sent) alerts, \(format(elapsed)) s; the receiver read \(receiver.bytes / 1_048_576) MiB)"
            )
            receiver.stop()
        }
    }

    /// Reads and discards whatever arrives on a loopback port.
    final class Receiver: @unchecked Sendable {
        let port: UInt16
        private let listener: Int32
        private let lock = NSLock()
        private var total = 0
        private var running = true

        var bytes: Int { lock.withLock { total } }

        init(transport: SyslogEndpoint.Transport) throws {
            let fd = socket(AF_INET, Int32(transport == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var size = socklen_t(MemoryLayout<sockaddr_in>.size)
            var buffer: Int32 = 8 << 20
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
            }
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
            }
            port = UInt16(bigEndian: address.sin_port)
            listener = fd
            if transport == .tcp { listen(fd, 4) }
            let thread = Thread { [self] in
                var connection = fd
                if transport == .tcp { connection = accept(fd, nil, nil) }
                var chunk = [UInt8](repeating: 0, count: 1 << 20)
                while lock.withLock({ running }) {
                    let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
                    if count <= 0 { break }
                    lock.withLock { total += count }
                }
            }
            thread.start()
        }

        func stop() {
            lock.withLock { running = false }
            shutdown(listener, Int32(SHUT_RDWR))
            close(listener)
        }
    }
}
