import Dispatch

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
