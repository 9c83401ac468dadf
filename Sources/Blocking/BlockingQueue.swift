import Dispatch
import Synchronization

/// Runs blocking C calls (librdkafka polls, libpq round trips, write and
/// fsync) on a dedicated serial queue, never on Swift's cooperative pool,
/// and resumes the caller when done. One queue per handle keeps the calls
/// on a handle in order.
public struct BlockingQueue: Sendable {
    private let queue: DispatchQueue

    public init(label: String) {
        queue = DispatchQueue(label: label)
    }

    public func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }

}

/// Runs an async operation from a thread outside Swift's cooperative pool
/// (librdkafka's callback thread, a blocking queue's) and blocks that
/// thread until it is done: for synchronous interfaces over async clients.
/// The operation runs on a queue of its own, not on the pool, so it
/// finishes even when every thread of the pool is busy or blocked.
public func waitOutsidePool<T: Sendable>(_ operation: @escaping @Sendable () async -> T) -> T {
    let result = Mutex<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task(executorPreference: QueueExecutor.shared) {
        let value = await operation()
        result.withLock { $0 = value }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}

/// A task executor on one serial queue, for work that must not depend on
/// the cooperative pool having a free thread.
final class QueueExecutor: TaskExecutor {
    static let shared = QueueExecutor()
    private let queue = DispatchQueue(label: "countersign.outside-pool")

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
