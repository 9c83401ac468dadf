import Foundation
import Logging
import Pipeline
import ServiceLifecycle
import Synchronization

/// Keeps ``Health`` current so that /readyz answers at once from it: at
/// start every sink is probed (a connection, a TLS handshake) and the ledger
/// directory checked before anything can say ready; a failing part is probed
/// again every `interval` until it works; the broker is asked every
/// `interval` with a short timeout. A probe still running is never started
/// twice (a connection attempt to a silent host can take minutes).
public struct ReadinessMonitor: Service {
    /// Something readiness checks, by the name /readyz gives it.
    public struct Part: Sendable {
        public var name: String
        /// Probed every interval, not only while failing (the broker: no
        /// write outcome tells whether it still answers).
        public var always: Bool
        public var probe: @Sendable () async throws -> Void

        public init(name: String, always: Bool = false, probe: @escaping @Sendable () async throws -> Void) {
            self.name = name
            self.always = always
            self.probe = probe
        }
    }

    let parts: [Part]
    let health: Health
    let interval: Duration
    let logger: Logger

    public init(parts: [Part], health: Health, interval: Duration = .seconds(5), logger: Logger) {
        self.parts = parts
        self.health = health
        self.interval = interval
        self.logger = logger
        for part in parts { health.set(part.name, .probe, failing: Self.unchecked) }
    }

    static let unchecked = "not checked yet"

    /// Probes run as tasks of their own, not children: a shutdown must not
    /// wait for a connection attempt stuck in the kernel.
    public func run() async throws {
        let running = RunningProbes()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for part in parts where part.always || health.reason(part.name, .probe) != nil {
                guard running.start(part.name) else { continue }
                Task {
                    defer { running.finish(part.name) }
                    await check(part)
                }
            }
            try? await Task.sleep(for: interval)
        }
    }

    private func check(_ part: Part) async {
        let before = health.reason(part.name, .probe)
        do {
            try await part.probe()
            health.set(part.name, .probe, failing: nil)
            if before != nil && before != Self.unchecked {
                logger.info("readiness: works again", metadata: ["part": "\(part.name)"])
            }
        } catch {
            let reason = "\(error)"
            health.set(part.name, .probe, failing: reason)
            if before != reason {
                logger.warning("readiness: not working", metadata: ["part": "\(part.name)", "reason": "\(reason)"])
            }
        }
    }

    /// The standard probe of a directory a part writes to: it exists (or
    /// can be made) and this process may create files in it.
    public static func writableDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard access(path, W_OK) == 0 else {
            throw ReadinessError("directory '\(path)' is not writable by this user")
        }
    }
}

public struct ReadinessError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Names of the probes in flight.
private final class RunningProbes: Sendable {
    private let names = Mutex<Set<String>>([])

    func start(_ name: String) -> Bool { names.withLock { $0.insert(name).inserted } }
    func finish(_ name: String) { _ = names.withLock { $0.remove(name) } }
}
