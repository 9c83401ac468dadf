import Detection
import Foundation
import Logging
import Pipeline
import ServiceLifecycle

/// The pipeline's sinks a replay writes to (`--sink TYPE`): the events of
/// the range and the alerts they raised go to each, as `run` would hand
/// them over, so a sink's idempotence (event and alert ids) makes a replay
/// over rows already stored add nothing. The sinks' own services (spool
/// drainers, partition upkeep) run beside the replay in a service group.
final class ReplaySinks {
    private let sinks: [any Sink]
    private let group: ServiceGroup
    private let running: Task<Void, any Error>
    private(set) var written = 0
    private(set) var rejected = 0
    let logger: Logger

    init(_ types: [String], spec: PipelineSpec, logger: Logger) throws {
        var chosen: [SinkEntry] = []
        for type in types {
            let matching = spec.sinks.filter { $0.type == type }
            guard !matching.isEmpty else {
                let known = spec.sinks.map(\.type).joined(separator: ", ")
                throw ReplayError.usage("the pipeline has no '\(type)' sink (it has: \(known))")
            }
            chosen += matching
        }
        let built = try chosen.map { try $0.build(context: SinkContext(logger: logger)) }
        sinks = built.map(\.sink)
        let group = ServiceGroup(
            configuration: .init(
                services: built.flatMap(\.services).map { .init(service: $0) },
                logger: logger
            )
        )
        self.group = group
        running = Task { try await group.run() }
        self.logger = logger
    }

    /// Writes one batch to every sink; a failing sink is retried with
    /// back-off (1 s, 2 s, ... 30 s) for up to ten minutes, then the replay fails.
    func write(_ batch: EventBatch) async throws {
        guard !batch.events.isEmpty || !batch.alerts.isEmpty else { return }
        for sink in sinks {
            var delay = Duration.seconds(1)
            let deadline = ContinuousClock.now + .seconds(600)
            while true {
                do {
                    let outcome = try await sink.write(batch)
                    rejected += outcome.rejected.count
                    break
                } catch {
                    guard ContinuousClock.now + delay < deadline else {
                        throw ReplayError.source("the \(sink.name) sink kept failing: \(error)")
                    }
                    logger.warning(
                        "a sink failed; retrying",
                        metadata: ["sink": "\(sink.name)", "error": "\(error)", "retry_in": "\(delay)"]
                    )
                    try await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(30))
                }
            }
        }
        written += batch.events.count
    }

    /// Stops the sinks' services and waits for them.
    func finish() async {
        await group.triggerGracefulShutdown()
        _ = try? await running.value
    }
}
