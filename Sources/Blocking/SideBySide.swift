import Dispatch
import Foundation

/// Runs blocking work (fsyncs, requests to object storage) side by side on
/// threads of its own. Not on Dispatch's global queues: their threads are
/// about as many as the cores, and a task there that waits for other tasks
/// there (a log's append waiting for its objects' writes, inside a batch's
/// appends) can leave no thread to run what it waits for; on two cores the
/// worker stalled that way. `concurrentPerform` would be safe but runs only
/// as many at once as there are cores, and these calls wait, not compute.
public enum SideBySide {
    /// Calls `body(index)` for every index in 0..<count, at most `width` at
    /// once; returns when all have returned. The calling thread takes part.
    public static func run(_ count: Int, width: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 1, width > 1 else {
            for index in 0..<count { body(index) }
            return
        }
        let next = Counter()
        let group = DispatchGroup()
        let work: @Sendable () -> Void = {
            while let index = next.take(below: count) { body(index) }
        }
        for _ in 1..<min(width, count) {
            group.enter()
            let thread = Thread {
                work()
                group.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        work()
        group.wait()
    }

    private final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0

        func take(below limit: Int) -> Int? {
            lock.withLock {
                guard value < limit else { return nil }
                defer { value += 1 }
                return value
            }
        }
    }
}
