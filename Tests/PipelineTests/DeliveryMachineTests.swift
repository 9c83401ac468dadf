import Pipeline
import Testing

typealias Machine = DeliveryMachine<TestPartition>

/// The delivery state machine driven by hand: events in, actions out, no
/// broker, no sinks, no clock (time is an instant plus a duration).
@Suite("Delivery state machine")
struct DeliveryMachineTests {
    let p0 = TestPartition(topic: "mcp.audit", partition: 0)
    let p1 = TestPartition(topic: "mcp.audit", partition: 1)
    let start = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }

    /// Two required sinks (postgres, siem), commits every 500 ms.
    func machine(
        sinks: [Machine.SinkPolicy] = [.init(name: "postgres"), .init(name: "siem")],
        maxBatches: Int = 4,
        perPartition: Int = 100_000,
        snapshot: Duration? = nil
    ) -> (Machine, [Machine.Action]) {
        var machine = Machine(
            settings: .init(
                sinks: sinks,
                maxBatchesInFlight: maxBatches,
                maxInFlightPerPartition: perPartition,
                snapshotInterval: snapshot,
                shutdownTimeout: .seconds(20)
            ),
            now: at(0)
        )
        let actions = machine.handle(.assigned([p0, p1], at: at(0)))
        return (machine, actions)
    }

    func messages(_ partition: TestPartition, _ offsets: Range<Int64>) -> [(TestPartition, Int64)] {
        offsets.map { (partition, $0) }
    }

    @Test("a batch goes to every sink at once; each sink writes its own queue in order")
    func fanOut() {
        var (m, first) = machine()
        #expect(first == [.admit])
        let a1 = m.handle(.batchReady(1, messages: messages(p0, 0..<10), at: at(1)))
        #expect(a1 == [.write([1], sink: 0), .write([1], sink: 1), .admit])
        let a2 = m.handle(.batchReady(2, messages: messages(p0, 10..<20), at: at(2)))
        // Both sinks are busy with batch 1: batch 2 waits in their queues.
        #expect(a2 == [.admit])
        #expect(m.queueDepth(0) == 2 && m.queueDepth(1) == 2)
        // The SIEM is fast: it moves on to batch 2 while postgres still writes batch 1.
        let a3 = m.handle(.sinkAcknowledged([1], sink: 1, at: at(3)))
        #expect(a3 == [.write([2], sink: 1)])
        #expect(m.handle(.sinkAcknowledged([2], sink: 1, at: at(4))).isEmpty)
        // Postgres acknowledges batch 1: it completes, is released, and postgres starts batch 2.
        let a5 = m.handle(.sinkAcknowledged([1], sink: 0, at: at(5)))
        #expect(a5 == [.completed(1), .release(1), .write([2], sink: 0)])
    }

    @Test("a sink that fell behind writes what queued meanwhile in one write, up to its capacity")
    func groupedWrites() {
        var (m, _) = machine(sinks: [.init(name: "postgres", capacity: 3), .init(name: "siem")], maxBatches: 8)
        for id in 1...5 {
            _ = m.handle(.batchReady(id, messages: messages(p0, Int64(id * 10)..<Int64(id * 10 + 10)), at: at(id)))
            _ = m.handle(.sinkAcknowledged([id], sink: 1, at: at(id)))
        }
        // Postgres still writes batch 1; 2, 3 (its capacity) and 4, 5 wait.
        let next = m.handle(.sinkAcknowledged([1], sink: 0, at: at(10)))
        #expect(next == [.completed(1), .release(1), .write([2, 3, 4], sink: 0)])
        // A failed group is retried whole; an acknowledged one completes every batch in it.
        _ = m.handle(.sinkFailed([2, 3, 4], sink: 0, at: at(11)))
        #expect(m.handle(.tick(at(111))) == [.write([2, 3, 4], sink: 0)])
        let done = m.handle(.sinkAcknowledged([2, 3, 4], sink: 0, at: at(120)))
        #expect(done.prefix(6) == [.completed(2), .release(2), .completed(3), .release(3), .completed(4), .release(4)])
        #expect(done.contains(.write([5], sink: 0)))
    }

    @Test("offsets are committed only over batches every required sink acknowledged, at the interval")
    func commitsFollowAcknowledgements() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(1)))
        _ = m.handle(.batchReady(2, messages: messages(p0, 5..<10) + messages(p1, 0..<3), at: at(2)))
        // Batch 2 done by both sinks before batch 1: nothing may be committed for p0.
        _ = m.handle(.sinkAcknowledged([1], sink: 1, at: at(3)))
        _ = m.handle(.sinkAcknowledged([2], sink: 1, at: at(4)))
        let early = m.handle(.tick(at(600)))
        #expect(!early.contains { if case .commit = $0 { true } else { false } })
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(700)))
        _ = m.handle(.sinkAcknowledged([2], sink: 0, at: at(800)))
        #expect(m.handle(.tick(at(1_000))).isEmpty)  // committed 500 ms ago: not yet
        let due = m.handle(.tick(at(1_200)))
        #expect(due == [.commit([p0: 10, p1: 3])])
    }

    @Test("a failing sink retries the same batch with growing back-off while every partition is paused")
    func backOffAndPause() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(1)))
        _ = m.handle(.sinkAcknowledged([1], sink: 1, at: at(2)))
        let failed = m.handle(.sinkFailed([1], sink: 0, at: at(10)))
        #expect(m.failing)
        #expect(failed.contains { if case .pause(let ps) = $0 { Set(ps) == [p0, p1] } else { false } })
        #expect(!failed.contains(.admit))
        // First retry after 100 ms, not before.
        #expect(m.handle(.tick(at(100))).isEmpty)
        #expect(m.handle(.tick(at(110))) == [.write([1], sink: 0)])
        // Second failure: 200 ms.
        _ = m.handle(.sinkFailed([1], sink: 0, at: at(120)))
        #expect(m.handle(.tick(at(300))).isEmpty)
        #expect(m.handle(.tick(at(320))) == [.write([1], sink: 0)])
        // It takes the batch: the partitions resume, the source is admitted, the batch completes.
        let ok = m.handle(.sinkAcknowledged([1], sink: 0, at: at(330)))
        #expect(!m.failing)
        #expect(ok.contains(.completed(1)) && ok.contains(.release(1)))
        #expect(ok.contains { if case .resume(let ps) = $0 { Set(ps) == [p0, p1] } else { false } })
    }

    @Test("back-off is capped at its upper bound")
    func backOffCap() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<1), at: at(0)))
        var now = 0
        for _ in 0..<12 {
            _ = m.handle(.sinkFailed([1], sink: 0, at: at(now)))
            // Find when the retry is issued, in 50 ms steps.
            var waited = 0
            while !m.handle(.tick(at(now + waited))).contains(.write([1], sink: 0)) { waited += 50 }
            #expect(waited <= 5_000)
            now += waited
        }
        // After 12 failures the wait is the cap (5 s), not 100 ms << 11.
        #expect(now >= 5_000 * 5)
    }

    @Test("a partition paused once its unacknowledged messages reach the bound, resumed when they fall")
    func perPartitionBound() {
        var (m, _) = machine(perPartition: 10)
        let a = m.handle(.batchReady(1, messages: messages(p0, 0..<10) + messages(p1, 0..<2), at: at(1)))
        #expect(a.contains(.pause([p0])))
        #expect(m.pausedPartitions == [p0])
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(2)))
        let b = m.handle(.sinkAcknowledged([1], sink: 1, at: at(3)))
        #expect(b.contains(.resume([p0])))
        #expect(m.pausedPartitions.isEmpty)
    }

    @Test("at the batches-in-flight bound the source waits, then is paused, then resumes")
    func admissionBound() {
        var (m, _) = machine(maxBatches: 2)
        #expect(m.handle(.batchReady(1, messages: messages(p0, 0..<1), at: at(0))).contains(.admit))
        let full = m.handle(.batchReady(2, messages: messages(p0, 1..<2), at: at(0)))
        #expect(!full.contains(.admit))
        #expect(!m.hasRoom)
        // Waiting less than a second: no pause; then every partition is paused.
        #expect(m.handle(.tick(at(900))).isEmpty)
        let paused = m.handle(.tick(at(1_000)))
        #expect(paused.contains { if case .pause(let ps) = $0 { Set(ps) == [p0, p1] } else { false } })
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(1_100)))
        let room = m.handle(.sinkAcknowledged([1], sink: 1, at: at(1_100)))
        #expect(room.contains(.admit))
        #expect(room.contains { if case .resume = $0 { true } else { false } })
    }

    @Test("a best-effort sink that is full or fails skips the batch; the required ones still gate commits")
    func bestEffortSink() {
        var (m, _) = machine(sinks: [
            .init(name: "postgres"), .init(name: "jsonl", capacity: 1, whenFull: .skip, required: false),
        ])
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<3), at: at(0)))
        let second = m.handle(.batchReady(2, messages: messages(p0, 3..<6), at: at(1)))
        #expect(second.contains(.skip(2, sink: 1)))
        #expect(m.skipped == 1)
        let failed = m.handle(.sinkFailed([1], sink: 1, at: at(2)))
        #expect(failed.contains(.skip(1, sink: 1)))
        #expect(!m.failing)
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(3)))
        _ = m.handle(.sinkAcknowledged([2], sink: 0, at: at(4)))
        #expect(m.handle(.tick(at(600))) == [.commit([p0: 6])])
        #expect(m.batchesInFlight == 0)
    }

    @Test("revocation mid-batch: the partition is forgotten, a late acknowledgement commits nothing for it")
    func revocationMidBatch() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5) + messages(p1, 0..<5), at: at(0)))
        let revoked = m.handle(.revoked([p0], at: at(10)))
        #expect(revoked.contains(.forget([p0])))
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(20)))
        _ = m.handle(.sinkAcknowledged([1], sink: 1, at: at(30)))
        #expect(m.handle(.tick(at(600))) == [.commit([p1: 5])])
    }

    @Test("a rewound partition starts over and counts as re-delivered")
    func rewind() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(0)))
        _ = m.handle(.batchReady(2, messages: messages(p0, 2..<4), at: at(1)))
        #expect(m.redelivered == 2)
        for sink in 0..<2 {
            _ = m.handle(.sinkAcknowledged([2], sink: sink, at: at(2)))
        }
        #expect(m.handle(.tick(at(600))) == [.commit([p0: 4])])
    }

    @Test("a refused commit is offered again with the next one, even without progress")
    func refusedCommit() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(0)))
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(1)))
        _ = m.handle(.sinkAcknowledged([1], sink: 1, at: at(1)))
        #expect(m.handle(.tick(at(500))) == [.commit([p0: 5])])
        #expect(m.handle(.commitRefused([p0: 5], at: at(510))).isEmpty)
        #expect(m.handle(.tick(at(1_010))) == [.commit([p0: 5])])
        // A refusal for a partition revoked since is dropped.
        _ = m.handle(.revoked([p0], at: at(1_100)))
        _ = m.handle(.commitRefused([p0: 5], at: at(1_110)))
        #expect(m.handle(.tick(at(2_000))).isEmpty)
    }

    @Test("a snapshot waits until nothing is in flight and admission stops meanwhile")
    func snapshotBarrier() {
        var (m, _) = machine(snapshot: .seconds(30))
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(0)))
        // The source holds its next permit; the interval passes while batch 1 is in flight.
        let due = m.handle(.tick(at(30_000)))
        #expect(!due.contains(.saveSnapshot))
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(30_001)))
        let acknowledged = m.handle(.sinkAcknowledged([1], sink: 1, at: at(30_002)))
        // The permit is still out (the source may be preparing a batch): no snapshot yet, no new permit.
        #expect(!acknowledged.contains(.saveSnapshot) && !acknowledged.contains(.admit))
        let idle = m.handle(.sourceIdle(at: at(30_003)))
        #expect(idle == [.commit([p0: 5]), .saveSnapshot])
        #expect(!m.hasRoom)
        #expect(m.handle(.snapshotSaved(at: at(30_050))).contains(.admit))
    }

    @Test("shutdown stops admission, waits for the batches in flight, commits, snapshots and stops")
    func gracefulShutdown() {
        var (m, _) = machine(snapshot: .seconds(30))
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(0)))
        let requested = m.handle(.shutdownRequested(at: at(10)))
        #expect(requested.isEmpty)
        _ = m.handle(.sinkAcknowledged([1], sink: 0, at: at(20)))
        // The source gives its permit back (it is not preparing a batch).
        #expect(m.handle(.sourceIdle(at: at(25))).isEmpty)
        let last = m.handle(.sinkAcknowledged([1], sink: 1, at: at(30)))
        #expect(last == [.completed(1), .release(1), .commit([p0: 5]), .saveSnapshot, .stop(abandoned: false)])
        #expect(m.isStopped)
        #expect(m.handle(.tick(at(40))).isEmpty)
    }

    @Test("shutdown with a failing sink gives the batch up at half the bound, without a snapshot")
    func shutdownDeadline() {
        var (m, _) = machine(snapshot: .seconds(30))
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<5), at: at(0)))
        _ = m.handle(.batchReady(2, messages: messages(p1, 0..<5), at: at(1)))
        for sink in 0..<2 { _ = m.handle(.sinkAcknowledged([1], sink: sink, at: at(2))) }
        _ = m.handle(.sinkFailed([2], sink: 0, at: at(3)))
        _ = m.handle(.shutdownRequested(at: at(1_000)))
        #expect(m.handle(.tick(at(10_999))) == [.write([2], sink: 0)])
        // What was acknowledged is still committed; the failing batch is not.
        let given = m.handle(.sinkFailed([2], sink: 0, at: at(11_000)))
        #expect(given == [.commit([p0: 5]), .stop(abandoned: true)])
        #expect(m.isStopped)
    }

    @Test("a failing ordered stage pauses the source until it recovers")
    func stageFailure() {
        var (m, _) = machine()
        let failing = m.handle(.stageFailing(true, at: at(0)))
        #expect(failing.contains { if case .pause = $0 { true } else { false } })
        #expect(!m.hasRoom)
        let back = m.handle(.stageFailing(false, at: at(100)))
        #expect(back.contains { if case .resume = $0 { true } else { false } })
    }

    @Test("partitions assigned while stalled are paused too")
    func assignedWhileStalled() {
        var (m, _) = machine()
        _ = m.handle(.batchReady(1, messages: messages(p0, 0..<1), at: at(0)))
        _ = m.handle(.sinkFailed([1], sink: 0, at: at(1)))
        let p2 = TestPartition(topic: "mcp.audit", partition: 2)
        #expect(m.handle(.assigned([p2], at: at(2))) == [.pause([p2])])
    }
}
