import Synchronization

/// The source's permit to hand over one batch. The driver grants it when
/// the delivery machine admits another batch; the source waits for it, and
/// is nudged now and then meanwhile so that it can keep polling (a consumer
/// that stops polling is dropped from its group).
final class Gate: Sendable {
    enum Permit: Sendable {
        case granted
        case nudged
        case closed
    }

    private struct State {
        var granted = false
        var closed = false
        var waiter: CheckedContinuation<Permit, Never>?
    }

    private let state = Mutex(State())

    func acquire() async -> Permit {
        await withCheckedContinuation { continuation in
            let now: Permit? = state.withLock { state in
                if state.closed { return .closed }
                if state.granted {
                    state.granted = false
                    return .granted
                }
                state.waiter = continuation
                return nil
            }
            if let now { continuation.resume(returning: now) }
        }
    }

    func grant() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.granted = true
                return nil as CheckedContinuation<Permit, Never>?
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume(returning: .granted)
    }

    /// Wakes a waiting source without a permit.
    func nudge() {
        let waiter = state.withLock { state in
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: .nudged)
    }

    func close() {
        let waiter = state.withLock { state in
            state.closed = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: .closed)
    }
}
