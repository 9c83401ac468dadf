/// What happened to the messages given to a SIEM sink.
public struct SIEMDeliveryCounters: Sendable, Hashable {
    /// Handed to the collector's socket (replays count again).
    public var sent = 0
    /// Written to the spool because the collector was unreachable.
    public var spooled = 0
    /// Dropped by the spool's when-full policy.
    public var dropped = 0
    /// Sent again after a broken connection (the at-least-once window).
    public var replayed = 0
    /// Failed attempts to connect or send.
    public var failures = 0
    /// Messages and bytes waiting in the spool.
    public var spoolDepth = 0
    public var spoolBytes = 0
    public init() {}
}

/// Delivery to one collector, in order: straight to the socket while it
/// works, otherwise through the on-disk spool, which drains first when the
/// collector is back. Stream connections are checked before each send; a
/// broken one puts the replay ring's messages back in front. Synchronous
/// and blocking: the owner runs every call on one serial queue (hence
/// unchecked Sendable).
final class SyslogDelivery: @unchecked Sendable {
    private let connection: SyslogConnection
    private let spool: SyslogSpool?
    private var ring: ReplayRing
    private var backoff: ReconnectBackoff
    /// Without a spool, a broken connection's replay waits here (bounded by
    /// the ring) and goes before the next batch.
    private var pendingReplay: [[UInt8]] = []
    private(set) var counters = SIEMDeliveryCounters()
    private(set) var lastFailure: String?
    /// Messages per send while draining the spool.
    let drainChunk = 2_000

    init(
        endpoint: SyslogEndpoint,
        spool: SpoolSettings?,
        replayWindow: Duration = .seconds(2),
        replayMaxBytes: Int = 32 << 20,
        backoff: ReconnectBackoff = ReconnectBackoff()
    ) throws(SpoolError) {
        connection = SyslogConnection(endpoint: endpoint)
        self.spool = try spool.map { settings throws(SpoolError) in try SyslogSpool(settings: settings) }
        ring = ReplayRing(window: replayWindow, maxBytes: replayMaxBytes)
        self.backoff = backoff
        refreshSpoolCounters()
    }

    var hasSpool: Bool { spool != nil }

    /// Sends `messages` or spools them. Returns normally once each message
    /// was sent, safely spooled or dropped by policy; throws when it is none
    /// of these (no spool and the collector unreachable, or a full spool
    /// under `block`): the batch is then to be retried.
    func deliver(_ messages: [[UInt8]], now: ContinuousClock.Instant) throws(SyslogSendError) {
        defer { refreshSpoolCounters() }
        checkConnection(now: now)
        guard let spool else {
            if !pendingReplay.isEmpty {
                try attempt(pendingReplay, now: now)
                pendingReplay = []
            }
            try attempt(messages, now: now)
            return
        }
        drain(spool, now: now)
        if spool.isEmpty {
            do throws(SyslogSendError) {
                try attempt(messages, now: now)
                return
            } catch {}
        }
        do throws(SpoolError) {
            let dropped = try spool.append(messages)
            counters.dropped += dropped
            counters.spooled += messages.count - dropped
        } catch {
            throw SyslogSendError(description: error.description)
        }
    }

    /// Periodic work between batches: confirms the ring while the
    /// connection is open, and drains the spool once the collector is back.
    func maintain(now: ContinuousClock.Instant) {
        defer { refreshSpoolCounters() }
        checkConnection(now: now)
        if let spool {
            drain(spool, now: now)
        } else if !pendingReplay.isEmpty, (try? attempt(pendingReplay, now: now)) != nil {
            pendingReplay = []
        }
    }

    private func drain(_ spool: SyslogSpool, now: ContinuousClock.Instant) {
        // A replay the disk refused earlier goes back in front first.
        if !pendingReplay.isEmpty, (try? spool.prepend(pendingReplay)) != nil { pendingReplay = [] }
        while !spool.isEmpty {
            do {
                let chunk = try spool.peek(limit: drainChunk)
                try attempt(chunk, now: now)
                try spool.advance(chunk.count)
            } catch {
                lastFailure = "\(error)"
                return
            }
        }
    }

    /// One send, connecting first if needed (and allowed by the back-off).
    /// On failure the connection is closed and the ring's messages are put
    /// back in front.
    private func attempt(_ messages: [[UInt8]], now: ContinuousClock.Instant) throws(SyslogSendError) {
        if !connection.isConnected {
            guard backoff.allows(at: now) else {
                throw SyslogSendError(description: lastFailure ?? "waiting before reconnecting")
            }
        }
        do {
            try connection.send(messages)
        } catch {
            counters.failures += 1
            lastFailure = error.description
            backoff.failed(at: now)
            requeueUnconfirmed()
            throw error
        }
        backoff.succeeded()
        counters.sent += messages.count
        if connection.endpoint.transport != .udp { ring.record(messages, at: now) }
    }

    /// A stream connection the collector closed is noticed here, before
    /// the next send rather than after a write vanished into it.
    private func checkConnection(now: ContinuousClock.Instant) {
        guard connection.isConnected else { return }
        if connection.looksOpen() {
            ring.confirm(at: now)
        } else {
            connection.disconnect()
            counters.failures += 1
            lastFailure = "the collector closed the connection"
            requeueUnconfirmed()
        }
    }

    private func requeueUnconfirmed() {
        let unconfirmed = ring.takeAll()
        guard !unconfirmed.isEmpty else { return }
        counters.replayed += unconfirmed.count
        if let spool {
            do {
                try spool.prepend(unconfirmed)
                counters.spooled += unconfirmed.count
            } catch {
                // The disk refused: keep them in memory instead.
                pendingReplay = unconfirmed + pendingReplay
                lastFailure = error.description
            }
        } else {
            pendingReplay = unconfirmed + pendingReplay
        }
    }

    private func refreshSpoolCounters() {
        counters.spoolDepth = spool?.count ?? 0
        counters.spoolBytes = spool?.bytes ?? 0
    }
}
