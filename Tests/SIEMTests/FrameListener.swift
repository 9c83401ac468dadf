import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP listener that reads RFC 6587 octet-counted frames and
/// keeps the messages in arrival order; it can stop (closing every
/// connection) and start again on the same port, like a collector restart.
final class FrameListener: @unchecked Sendable {
    private let lock = NSLock()
    private var received: [String] = []
    private var listener: Int32 = -1
    private var connections: [Int32] = []
    private(set) var port: UInt16 = 0

    var messages: [String] { lock.withLock { received } }

    init() throws {
        try start()
    }

    deinit { stop() }

    func start() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = port.bigEndian
        var size = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, size) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            close(fd)
            throw POSIXError(.EADDRINUSE)
        }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &size) }
        }
        port = UInt16(bigEndian: address.sin_port)
        lock.withLock { listener = fd }
        Thread { [self] in
            while true {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { return }
                lock.withLock { connections.append(connection) }
                Thread { [self] in read(connection) }.start()
            }
        }.start()
    }

    func stop() {
        lock.withLock {
            if listener >= 0 {
                shutdown(listener, Int32(SHUT_RDWR))
                close(listener)
            }
            listener = -1
            for connection in connections { shutdown(connection, Int32(SHUT_RDWR)) }
            connections = []
        }
    }

    private func read(_ connection: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            buffer += chunk[..<count]
            // Frames: "<length> <message>".
            var offset = 0
            var parsed: [String] = []
            while let space = buffer[offset...].firstIndex(of: 0x20),
                let length = Int(String(decoding: buffer[offset..<space], as: UTF8.self)),
                space + 1 + length <= buffer.count
            {
                parsed.append(String(decoding: buffer[(space + 1)..<(space + 1 + length)], as: UTF8.self))
                offset = space + 1 + length
            }
            buffer.removeSubrange(..<offset)
            lock.withLock { received += parsed }
        }
        close(connection)
    }
}
