import Dispatch

/// Runs blocking librdkafka calls (poll, flush) on a dedicated serial queue,
/// never on Swift's cooperative pool, and resumes the caller when done.
struct BlockingQueue: Sendable {
    private let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label)
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body()) }
        }
    }
}
