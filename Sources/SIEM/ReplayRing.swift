import DequeModule

/// Messages handed to a stream socket recently. A TCP or TLS send returns
/// when the kernel took the bytes; if the collector goes away, whatever was
/// still in flight or unread in its socket is lost without an error. So the
/// last `window` of sent messages is kept, and when a connection is found
/// broken they are sent again, ahead of everything newer: at-least-once,
/// with repeats limited to that window. A message leaves the ring once a
/// later check found the connection open `window` after it was sent.
struct ReplayRing: Sendable {
    let window: Duration
    let maxBytes: Int
    private var entries: Deque<(sentAt: ContinuousClock.Instant, message: [UInt8])> = []
    private(set) var bytes = 0
    /// Messages pushed out by `maxBytes` before they were confirmed: not
    /// covered by a replay if their connection breaks.
    private(set) var unprotected = 0

    init(window: Duration, maxBytes: Int) {
        self.window = window
        self.maxBytes = maxBytes
    }

    var count: Int { entries.count }

    mutating func record(_ messages: [[UInt8]], at now: ContinuousClock.Instant) {
        for message in messages {
            entries.append((now, message))
            bytes += message.count
        }
        while bytes > maxBytes, let first = entries.popFirst() {
            bytes -= first.message.count
            unprotected += 1
        }
    }

    /// The connection was open at `now`: what was sent before `now - window` arrived.
    mutating func confirm(at now: ContinuousClock.Instant) {
        let cutoff = now - window
        while let first = entries.first, first.sentAt < cutoff {
            entries.removeFirst()
            bytes -= first.message.count
        }
    }

    /// Everything unconfirmed, oldest first; the ring is left empty.
    mutating func takeAll() -> [[UInt8]] {
        let messages = entries.map(\.message)
        entries.removeAll()
        bytes = 0
        return messages
    }
}
