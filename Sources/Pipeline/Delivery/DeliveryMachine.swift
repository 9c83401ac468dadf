/// Every decision of the worker's delivery, as a value: which batch goes to
/// which sink when, when the source may hand over another batch, which
/// partitions to pause, what to commit, when to snapshot, when to stop.
///
/// Sans-IO, in the style of a connection pool's state machine: the driver
/// feeds it ``Event``s (a batch was prepared, a sink acknowledged or failed,
/// partitions moved, a commit was refused, a shutdown began, time passed)
/// and carries out the ``Action``s it returns. It reads no clock and does no
/// I/O, so every transition is tested as a value.
///
/// The rules it keeps:
/// - at most `maxBatchesInFlight` batches are between the source and the
///   sinks; each sink writes its batches one at a time, in order, from its
///   own bounded queue, so a fast sink (the SIEM's alerts) never waits for a
///   slow one (the hot tier);
/// - the commit point of a partition moves only over messages whose batch
///   every required sink acknowledged (``OffsetTracker``);
/// - a failing sink retries the same batch with growing back-off while the
///   source pauses every partition; a partition with `maxInFlightPerPartition`
///   unacknowledged messages is paused until acknowledgements free room;
/// - a detection snapshot is taken only when nothing is in flight, so that
///   a restored engine never skips an event whose alerts no sink received;
/// - a shutdown stops admission, waits for the batches in flight, commits and
///   stops; at half the shutdown bound it gives up what is still pending.
public struct DeliveryMachine<Partition: Hashable & Sendable>: Sendable {
    public typealias Instant = ContinuousClock.Instant
    public typealias BatchID = Int

    private struct Batch {
        var runs: [Partition: OffsetRun]
        /// Sinks that still have to finish with the batch (bit per sink).
        var pending: UInt64
        /// Required sinks that still have to acknowledge it.
        var required: UInt64
    }

    private struct SinkState {
        /// Batches waiting, in order; the first `writing` of them are being written.
        var queue: [BatchID] = []
        var writing = 0
        var retryAt: Instant?
        var attempt = 0
    }

    public let settings: Settings
    private var tracker: OffsetTracker<Partition>
    private var batches: [BatchID: Batch] = [:]
    private var sinks: [SinkState]
    private var assigned: Set<Partition> = []
    private var paused: Set<Partition> = []
    /// Unacknowledged messages per partition, for its bound.
    private var inFlightMessages: [Partition: Int] = [:]
    /// Commits the group refused, offered again with the next commit.
    private var refusedCommits: [Partition: Int64] = [:]
    private var permitOut = false
    private var blockedSince: Instant?
    private var stageFailing = false
    private var lastCommit: Instant
    private var lastSnapshot: Instant
    /// The snapshot interval passed: admission stops until nothing is in flight.
    private var snapshotDue = false
    private var snapshotting = false
    private var shutdownAt: Instant?
    private var stopped = false
    private let requiredMask: UInt64

    /// Messages consumed again after a rewind, and batches a best-effort sink did not get.
    public private(set) var redelivered = 0
    public private(set) var skipped = 0

    public init(settings: Settings, now: Instant) {
        self.settings = settings
        // The per-partition bound is enforced by pausing; the tracker itself
        // is bounded by the batches in flight.
        tracker = OffsetTracker(requiredSinks: 1, maxInFlight: .max)
        sinks = Array(repeating: SinkState(), count: settings.sinks.count)
        var mask: UInt64 = 0
        for (index, sink) in settings.sinks.enumerated() where sink.required { mask |= 1 << UInt64(index) }
        requiredMask = mask
        lastCommit = now
        lastSnapshot = now
    }

    // MARK: Reading the state

    /// True from a failed write of a required sink (or a failing stage)
    /// until it succeeds, retries included: readiness, and the pause.
    public var failing: Bool { stageFailing || sinks.contains { $0.attempt > 0 } }
    public var batchesInFlight: Int { batches.count }
    public var pausedPartitions: Set<Partition> { paused }
    public var isStopped: Bool { stopped }
    /// Sink `index`'s waiting batches, the one being written included.
    public func queueDepth(_ index: Int) -> Int { sinks[index].queue.count }

    /// Whether another batch fits: below the in-flight bound, every blocking
    /// sink's queue has room, nothing failing, no snapshot or shutdown waiting.
    public var hasRoom: Bool {
        guard !stopped, shutdownAt == nil, !snapshotDue, !failing else { return false }
        guard batches.count < settings.maxBatchesInFlight else { return false }
        for (index, policy) in settings.sinks.enumerated() where policy.whenFull == .block {
            if sinks[index].queue.count >= policy.capacity { return false }
        }
        return true
    }

    // MARK: Transitions

    public mutating func handle(_ event: Event) -> [Action] {
        guard !stopped else { return [] }
        var actions: [Action] = []
        let now: Instant
        switch event {
        case .batchReady(let id, let runs, let at):
            now = at
            permitOut = false
            accept(id, runs, into: &actions)
        case .sourceIdle(let at):
            now = at
            permitOut = false
        case .sinkAcknowledged(let ids, let sink, let at):
            now = at
            sinks[sink].attempt = 0
            finishWrite(ids, sink: sink, into: &actions)
        case .sinkFailed(let ids, let sink, let at):
            now = at
            if settings.sinks[sink].required {
                sinks[sink].writing = 0
                sinks[sink].attempt += 1
                sinks[sink].retryAt = at + settings.backoff.delay(afterFailures: sinks[sink].attempt)
            } else {
                for id in ids { actions.append(.skip(id, sink: sink)) }
                skipped += ids.count
                finishWrite(ids, sink: sink, into: &actions)
            }
        case .stageFailing(let failing, let at):
            now = at
            stageFailing = failing
        case .assigned(let partitions, let at):
            now = at
            assigned.formUnion(partitions)
        case .revoked(let partitions, let at):
            now = at
            for partition in partitions {
                tracker.reset(partition)
                inFlightMessages[partition] = nil
                refusedCommits[partition] = nil
                assigned.remove(partition)
                paused.remove(partition)
            }
            actions.append(.forget(partitions))
        case .commitRefused(let offsets, let at):
            now = at
            for (partition, offset) in offsets where assigned.contains(partition) {
                refusedCommits[partition] = max(refusedCommits[partition] ?? offset, offset)
            }
        case .snapshotSaved(let at):
            now = at
            snapshotting = false
            snapshotDue = false
            lastSnapshot = at
        case .shutdownRequested(let at):
            now = at
            if shutdownAt == nil { shutdownAt = at }
        case .tick(let at):
            now = at
            for index in sinks.indices {
                guard let retryAt = sinks[index].retryAt, retryAt <= at else { continue }
                sinks[index].retryAt = nil
                startWrite(index, into: &actions)
            }
            if let interval = settings.snapshotInterval, at - lastSnapshot >= interval {
                snapshotDue = true
            }
        }
        settle(now: now, into: &actions)
        return actions
    }

    private mutating func accept(_ id: BatchID, _ runs: [Partition: OffsetRun], into actions: inout [Action]) {
        for (partition, run) in runs {
            do {
                try tracker.consumed(partition, first: run.first, last: run.last)
            } catch {
                // A rewind (the group moved the partition back to its last
                // commit): start it over; what follows is delivered again.
                tracker.reset(partition)
                inFlightMessages[partition] = 0
                try? tracker.consumed(partition, first: run.first, last: run.last)
                redelivered += run.count
            }
            inFlightMessages[partition, default: 0] += run.count
        }
        var batch = Batch(runs: runs, pending: 0, required: requiredMask)
        for (index, policy) in settings.sinks.enumerated() {
            if policy.whenFull == .skip, sinks[index].queue.count >= policy.capacity {
                actions.append(.skip(id, sink: index))
                skipped += 1
                continue
            }
            batch.pending |= 1 << UInt64(index)
            sinks[index].queue.append(id)
            startWrite(index, into: &actions)
        }
        batches[id] = batch
        if batch.required == 0 { complete(id, into: &actions) }
        if batch.pending == 0 {
            batches[id] = nil
            actions.append(.release(id))
        }
    }

    /// An idle sink (not writing, not waiting to retry) writes every batch
    /// queued for it, up to its capacity, at once.
    private mutating func startWrite(_ sink: Int, into actions: inout [Action]) {
        guard sinks[sink].writing == 0, sinks[sink].retryAt == nil, !sinks[sink].queue.isEmpty else { return }
        let group = Array(sinks[sink].queue.prefix(settings.sinks[sink].capacity))
        sinks[sink].writing = group.count
        actions.append(.write(group, sink: sink))
    }

    /// Sink `sink` is done with the batches of its write (acknowledged, or
    /// skipped after a failure): each completes once every required sink
    /// is done with it, and the sink moves on to what queued meanwhile.
    private mutating func finishWrite(_ ids: [BatchID], sink: Int, into actions: inout [Action]) {
        sinks[sink].writing = 0
        sinks[sink].queue.removeAll { ids.contains($0) }
        let bit: UInt64 = 1 << UInt64(sink)
        for id in ids {
            guard var batch = batches[id] else { continue }
            let wasRequired = batch.required & bit != 0
            batch.pending &= ~bit
            batch.required &= ~bit
            batches[id] = batch
            if wasRequired && batch.required == 0 { complete(id, into: &actions) }
            if batch.pending == 0 {
                batches[id] = nil
                actions.append(.release(id))
            }
        }
        startWrite(sink, into: &actions)
    }

    private mutating func complete(_ id: BatchID, into actions: inout [Action]) {
        guard let batch = batches[id] else { return }
        for (partition, run) in batch.runs {
            tracker.acknowledgedByAll(partition, offset: run.last)
            if let count = inFlightMessages[partition] { inFlightMessages[partition] = max(0, count - run.count) }
        }
        actions.append(.completed(id))
    }

    /// After every event: pauses and resumptions, admission, commits,
    /// snapshots and the end of a shutdown.
    private mutating func settle(now: Instant, into actions: inout [Action]) {
        if let shutdownAt {
            // Done once every batch is through and the source gave its
            // permit back (a batch it is preparing would be lost to the snapshot).
            if (batches.isEmpty && !permitOut) || now - shutdownAt >= settings.shutdownTimeout / 2 {
                let abandoned = !batches.isEmpty || permitOut
                commit(now: now, into: &actions)
                if !abandoned && settings.snapshotInterval != nil { actions.append(.saveSnapshot) }
                actions.append(.stop(abandoned: abandoned))
                stopped = true
            }
            return
        }
        if snapshotDue && !snapshotting && batches.isEmpty && !permitOut {
            snapshotting = true
            commit(now: now, into: &actions)
            actions.append(.saveSnapshot)
        }
        if hasRoom {
            blockedSince = nil
            if !permitOut {
                permitOut = true
                actions.append(.admit)
            }
        } else if blockedSince == nil {
            blockedSince = now
        }
        reconcilePauses(now: now, into: &actions)
        if now - lastCommit >= settings.commitInterval { commit(now: now, into: &actions) }
    }

    private mutating func reconcilePauses(now: Instant, into actions: inout [Action]) {
        let stalled = failing || (blockedSince.map { now - $0 >= settings.pauseAfter } ?? false)
        var wanted: Set<Partition>
        if stalled {
            wanted = assigned
        } else {
            wanted = []
            for partition in assigned where inFlightMessages[partition, default: 0] >= settings.maxInFlightPerPartition
            {
                wanted.insert(partition)
            }
        }
        let pause = wanted.subtracting(paused)
        let resume = paused.subtracting(wanted)
        if !pause.isEmpty { actions.append(.pause(Array(pause))) }
        if !resume.isEmpty { actions.append(.resume(Array(resume))) }
        paused = wanted
    }

    private mutating func commit(now: Instant, into actions: inout [Action]) {
        lastCommit = now
        var offsets = refusedCommits
        refusedCommits = [:]
        for (partition, offset) in tracker.takeCommittable() {
            offsets[partition] = max(offsets[partition] ?? offset, offset)
        }
        if !offsets.isEmpty { actions.append(.commit(offsets)) }
    }
}
