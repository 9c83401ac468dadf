import Detection
import Foundation
import PostgresSink
import Worker

/// Detection state at 1,000,000 member x tool keys: the snapshot's size, the
/// time to take it, to save and load it in a state directory and in
/// PostgreSQL (the PG* environment; skipped without PGHOST), and to restore
/// the engine from it. Runs on the calling thread, outside the cooperative
/// pool, as the worker's saves do.
struct StateStoreBenchmark {
    func run() throws {
        let clock = ContinuousClock()
        var start = clock.now
        let engine = DetectBenchmark.millionKeys()
        report(
            "state: engine with \(engine.trackedPairs) member x tool keys built in \(format(seconds(clock.now - start))) s"
        )
        start = clock.now
        let snapshot = engine.snapshot()
        let taken = seconds(clock.now - start)
        report("state: snapshot \(format(Double(snapshot.count) / 1_048_576)) MB, taken in \(format(taken * 1_000)) ms")
        start = clock.now
        let restored = try DetectionEngine(snapshot: snapshot, settings: DetectionSettings())
        report(
            "state: engine restored from it in \(format(seconds(clock.now - start) * 1_000)) ms"
                + " (\(restored.trackedPairs) keys)"
        )
        let state = SavedDetectionState(topic: "bench", partition: 0, nextOffset: 1_000_000, snapshot: snapshot)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("state-bench-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try measure("directory", try DirectoryStateStore(directory: directory), state)
        if ProcessInfo.processInfo.environment["PGHOST"] != nil {
            try measure("postgres", PostgresStateStore(conninfo: ""), state)
        } else {
            report("state: postgres skipped (no PGHOST)")
        }
    }

    private func measure(_ name: String, _ store: any DetectionStateStore, _ state: SavedDetectionState) throws {
        let clock = ContinuousClock()
        // The first save also connects (and migrates): not counted.
        try store.save([SavedDetectionState(topic: "warm", partition: 0, nextOffset: 0, snapshot: [1])])
        var saves: [Double] = []
        var loads: [Double] = []
        for round in 0..<3 {
            var next = state
            next.nextOffset += Int64(round)
            var start = clock.now
            try store.save([next])
            saves.append(seconds(clock.now - start))
            start = clock.now
            let loaded = try store.load(topic: state.topic, partition: state.partition)
            loads.append(seconds(clock.now - start))
            guard loaded?.snapshot == state.snapshot else { throw DetectionStateError("\(name): read back differs") }
        }
        saves.sort()
        loads.sort()
        report(
            "state: \(name): save \(format(saves[1] * 1_000)) ms, load \(format(loads[1] * 1_000)) ms"
                + " (median of 3)"
        )
    }
}
