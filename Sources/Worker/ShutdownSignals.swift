import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// SIGTERM and SIGINT for the worker, with a bound: the first signal is
/// logged and starts a graceful shutdown that may take at most `timeout`;
/// a second signal, or the bound passing, ends the process at once.
///
/// systemd and Kubernetes send SIGTERM and then, after their own grace
/// period, SIGKILL: a worker that waits forever on a failing sink would
/// always end killed. The source gives up on a failing batch halfway
/// through the bound (it stays uncommitted and is read again) so that it
/// can still commit what was acknowledged and leave its group; exiting here
/// is the backstop for a call that does not return (a hung connection).
/// Nothing acknowledged is lost either way: uncommitted messages are
/// re-delivered and sinks de-duplicate.
///
/// Put it first in the service group: services shut down in reverse order,
/// so it keeps listening until every other service has stopped.
public struct ShutdownSignals: Service {
    let timeout: Duration
    let logger: Logger
    let startShutdown: @Sendable () -> Void

    /// `startShutdown` begins the group's graceful shutdown (for instance
    /// `ServiceGroup.triggerGracefulShutdown`).
    public init(timeout: Duration, logger: Logger, startShutdown: @escaping @Sendable () -> Void) {
        self.timeout = timeout
        self.logger = logger
        self.startShutdown = startShutdown
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let timeout = self.timeout
        let logger = self.logger
        let startShutdown = self.startShutdown
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                var received = 0
                for await signal in signals {
                    received += 1
                    if received == 1 {
                        logger.notice(
                            "signal received; shutting down",
                            metadata: [
                                "signal": "\(signal)",
                                "bound_seconds": "\(timeout.components.seconds)",
                                "hint": "a second signal stops at once",
                            ]
                        )
                        startShutdown()
                        Task.detached {
                            try? await Task.sleep(for: timeout)
                            logger.error(
                                "shutdown did not finish within its bound; exiting now",
                                metadata: [
                                    "bound_seconds": "\(timeout.components.seconds)",
                                    "hint": "nothing acknowledged is lost: what was not committed is read again",
                                ]
                            )
                            exit(1)
                        }
                    } else {
                        logger.warning("second signal received; exiting now", metadata: ["signal": "\(signal)"])
                        exit(128 + signal.rawValue)
                    }
                }
            }
            // This service is told to shut down last: by then every other
            // service has stopped and nothing is left to bound.
            group.addTask { try? await gracefulShutdown() }
            _ = await group.next()
            group.cancelAll()
        }
    }
}
