import AuditDecoder
import Detection
import Foundation
import Kafka
import Pipeline
import Synchronization
import Testing
import TrafficGenerator

@testable import Worker

/// A store that keeps what it is given.
final class RecordingStore: DetectionStateStore, Sendable {
    let saved = Mutex<[SavedDetectionState]>([])
    var description: String { "memory" }

    func load(topic: String, partition: Int32) throws(DetectionStateError) -> SavedDetectionState? {
        saved.withLock { $0.last { $0.topic == topic && $0.partition == partition } }
    }

    func save(_ states: [SavedDetectionState]) throws(DetectionStateError) {
        saved.withLock { $0 += states }
    }
}

/// A store that is always down, counting the calls.
final class DownStore: DetectionStateStore, Sendable {
    let loads = Mutex(0)
    var description: String { "down" }

    func load(topic: String, partition: Int32) throws(DetectionStateError) -> SavedDetectionState? {
        loads.withLock { $0 += 1 }
        throw DetectionStateError("connection refused")
    }

    func save(_ states: [SavedDetectionState]) throws(DetectionStateError) {
        throw DetectionStateError("connection refused")
    }
}

@Suite("detection state between owners")
struct DetectionStateTests {
    /// Events of partition 0 at offsets 0..<count.
    func events(_ count: Int) throws -> [ConsumedEvent] {
        let traffic = SyntheticTraffic(seed: 20)
        let decoder = try AuditEventDecoder()
        return try (0..<count).map { index in
            ConsumedEvent(
                event: try decoder.decode(traffic.message(at: index)),
                topic: "mcp.audit",
                partition: 0,
                offset: Int64(index)
            )
        }
    }

    let partition = TopicPartition(topic: "mcp.audit", partition: 0)

    @Test("a revoked partition is saved only once every event fed to its engine was acknowledged")
    func revocationWaitsForAcknowledgement() throws {
        let store = RecordingStore()
        let stage = DetectionStage(settings: DetectionSettings(), store: store)
        _ = stage.process(try events(500))
        // Batches in flight: nothing acknowledged yet, so nothing is saved.
        stage.saveRevoked([partition], wait: .milliseconds(50))
        #expect(store.saved.withLock { $0.isEmpty })
        // Acknowledged up to 300 of 499: still not.
        stage.acknowledged([partition: OffsetRun(first: 0, last: 300, count: 301)])
        stage.saveRevoked([partition], wait: .milliseconds(50))
        #expect(store.saved.withLock { $0.isEmpty })
        stage.acknowledged([partition: OffsetRun(first: 301, last: 499, count: 199)])
        stage.saveRevoked([partition], wait: .milliseconds(50))
        let saved = try #require(store.saved.withLock { $0.first })
        #expect(saved.nextOffset == 500)
        // The saved engine restores with the same state.
        let restored = try DetectionEngine(snapshot: saved.snapshot, settings: DetectionSettings())
        #expect(restored.statistics.events == 500)
    }

    @Test("an acknowledgement arriving while the revocation waits lets it save")
    func revocationSavesWhenAcknowledgedMeanwhile() throws {
        let store = RecordingStore()
        let stage = DetectionStage(settings: DetectionSettings(), store: store)
        _ = stage.process(try events(100))
        let partition = self.partition
        let acknowledging = Thread {
            Thread.sleep(forTimeInterval: 0.1)
            stage.acknowledged([partition: OffsetRun(first: 0, last: 99, count: 100)])
        }
        acknowledging.start()
        stage.saveRevoked([partition], wait: .seconds(30))
        #expect(store.saved.withLock { $0.map(\.nextOffset) } == [100])
    }

    @Test("after delivery stopped (batches may have been given up) a revocation saves nothing")
    func nothingAfterStop() throws {
        let store = RecordingStore()
        let stage = DetectionStage(settings: DetectionSettings(), store: store)
        _ = stage.process(try events(10))
        stage.acknowledged([partition: OffsetRun(first: 0, last: 9, count: 10)])
        stage.stop()
        stage.saveRevoked([partition], wait: .milliseconds(10))
        #expect(store.saved.withLock { $0.isEmpty })
    }

    @Test("warm-up events (delivered before) need no acknowledgement; a restored engine starts acknowledged")
    func settledAndRestored() throws {
        let store = RecordingStore()
        let first = DetectionStage(settings: DetectionSettings(), store: store)
        let all = try events(200)
        _ = first.process(Array(all[..<120]), settled: true)
        first.saveRevoked([partition], wait: .milliseconds(10))
        #expect(store.saved.withLock { $0.map(\.nextOffset) } == [120])
        // The next owner restores it, is fed the rest, and saves once they are acknowledged.
        let second = DetectionStage(settings: DetectionSettings(), store: store)
        #expect(second.startingOffset(partition) == 120)
        _ = second.process(all)  // re-delivered 0..<120 are not fed again
        second.acknowledged([partition: OffsetRun(first: 120, last: 199, count: 80)])
        second.saveRevoked([partition], wait: .milliseconds(10))
        let last = try #require(store.saved.withLock { $0.last })
        #expect(last.nextOffset == 200)
        #expect(try DetectionEngine(snapshot: last.snapshot, settings: DetectionSettings()).statistics.events == 200)
    }

    @Test("a store that is down: one partition is retried, the rest of the assignment asked once, all start empty")
    func storeDownAtAssignment() throws {
        let store = DownStore()
        let stage = DetectionStage(settings: DetectionSettings(), store: store)
        #expect(stage.startingOffset(partition) == nil)
        #expect(store.loads.withLock { $0 } == 4)
        for number in 1..<10 {
            #expect(stage.startingOffset(TopicPartition(topic: "mcp.audit", partition: Int32(number))) == nil)
        }
        #expect(store.loads.withLock { $0 } == 4 + 9)
        // Events are still judged, by an engine that starts empty.
        _ = stage.process(try events(10))
        #expect(stage.trackedKeys["member", default: 0] > 0)
    }

    @Test(
        "revoked and assigned again in one poll: the source forgets after the new assignment, and the state is restored"
    )
    func revokedAndAssignedInOnePoll() throws {
        let store = RecordingStore()
        let stage = DetectionStage(settings: DetectionSettings(), store: store)
        let all = try events(300)
        _ = stage.process(Array(all[..<200]))
        stage.acknowledged([partition: OffsetRun(first: 0, last: 199, count: 200)])
        // In the callbacks: the revocation saves, the assignment looks the state up.
        stage.saveRevoked([partition], wait: .milliseconds(10))
        #expect(stage.startingOffset(partition) == 200)
        // Then the source reads both changes and forgets the revoked engine.
        stage.forget(partition)
        _ = stage.process(Array(all[200...]))
        // Restored, not cold: the engine counts all 300 events.
        stage.acknowledged([partition: OffsetRun(first: 200, last: 299, count: 100)])
        stage.saveRevoked([partition], wait: .milliseconds(10))
        let last = try #require(store.saved.withLock { $0.last })
        #expect(last.nextOffset == 300)
        #expect(try DetectionEngine(snapshot: last.snapshot, settings: DetectionSettings()).statistics.events == 300)
    }

    @Test("the directory store keeps the newest state: an older one is not written over it")
    func directoryKeepsNewest() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("state-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try DirectoryStateStore(directory: directory)
        let newer = SavedDetectionState(topic: "a/b", partition: 2, nextOffset: 90, snapshot: [1, 2, 3])
        try store.save([newer])
        try store.save([SavedDetectionState(topic: "a/b", partition: 2, nextOffset: 80, snapshot: [9])])
        #expect(try store.load(topic: "a/b", partition: 2) == newer)
        #expect(try store.load(topic: "a/b", partition: 3) == nil)
    }
}
