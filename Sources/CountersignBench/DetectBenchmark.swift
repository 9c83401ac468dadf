import AuditDecoder
import AuditEvent
import Detection
import Foundation
import TrafficGenerator

/// Decode + detection on one core, with 100,000 members and 50 tools; then
/// the engine's memory with 1,000,000 member x tool keys.
///
/// Messages are generated in batches of 1,000 and, per batch, decoded and
/// fed to the engine; only decode + detect are timed. Event time spreads a
/// million events over about three days, so windows close, baselines learn
/// and idle keys are swept as in production.
struct DetectBenchmark {
    var events: Int
    var members = 100_000
    var toolCount = 50

    static func tools(_ count: Int) -> [ToolProfile] {
        (0..<count).map { index in
            let base = ToolProfile.standard[index % ToolProfile.standard.count]
            var tool = base
            tool.tool = index < ToolProfile.standard.count ? base.tool : "\(base.tool)_\(index)"
            tool.weight = 1 + Double(index % 7)
            return tool
        }
    }

    func run() throws {
        let traffic = SyntheticTraffic(
            seed: 77,
            tenants: 20,
            membersPerTenant: members / 20,
            tools: Self.tools(toolCount),
            spacingMicroseconds: 250_000
        )
        let decoder = try AuditEventDecoder()
        var engine = DetectionEngine()
        var decodeOnly = Duration.zero
        var both = Duration.zero
        var alerts = 0
        var checksum = 0
        let clock = ContinuousClock()
        report("detect: \(events) events, \(members) members, \(toolCount) tools, one core")
        var index = 0
        while index < events {
            let batch = (index..<min(index + 1_000, events)).map { traffic.message(at: $0) }
            index += batch.count
            // Decode alone, then decode + detect, on the same bytes: the difference is detection's cost.
            let start = clock.now
            for message in batch { checksum &+= try decoder.decode(message).eventID.utf8.count }
            let middle = clock.now
            for message in batch { alerts += engine.process(try decoder.decode(message)).count }
            let end = clock.now
            decodeOnly += middle - start
            both += end - middle
        }
        let rateBoth = Double(events) / seconds(both)
        let rateDecode = Double(events) / seconds(decodeOnly)
        let detectOnly = seconds(both) - seconds(decodeOnly)
        report("detect: decode + detect   \(format(rateBoth)) events/s")
        report("detect: decode alone      \(format(rateDecode)) events/s")
        report("detect: detection alone   \(format(Double(events) / max(detectOnly, 1e-9))) events/s (by difference)")
        report(
            "detect: \(alerts) alerts; \(engine.trackedMembers) members, \(engine.trackedPairs) member x tool pairs,"
                + " \(engine.trackedTools) tools tracked [checksum \(checksum % 1000)]"
        )
        // The memory figure needs the full million keys; smaller runs (profiling) skip it.
        if events >= 1_000_000 { try memory() }
    }

    /// Resident memory of an engine holding 1,000,000 member x tool keys
    /// (100,000 members x 10 tools each), and the process's peak.
    func memory() throws {
        let before = resident()
        let engine = Self.millionKeys(toolCount: toolCount)
        let after = resident()
        let keys = engine.trackedPairs
        report(
            "detect: \(keys) member x tool keys, \(engine.trackedMembers) members: resident +\(format(after - before)) MB"
                + " (\(Int((after - before) * 1_048_576 / Double(keys))) bytes per member x tool key, member state included)"
        )
        report("detect: snapshot of that state: \(format(Double(engine.snapshot().count) / 1_048_576)) MB")
        report("detect: peak resident of the process: \(format(peakResident())) MB")
    }

    /// An engine holding 1,000,000 member x tool keys: 100,000 members x 10 tools each.
    static func millionKeys(toolCount: Int = 50) -> DetectionEngine {
        var engine = DetectionEngine()
        var serial = 0
        for member in 0..<100_000 {
            for tool in 0..<10 {
                serial += 1
                let event = AuditEvent(
                    eventID: "e-\(serial)",
                    kind: .toolCall,
                    occurredAt: Timestamp(microsecondsSinceEpoch: 1_787_220_000_000_000 + Int64(serial) * 1_000),
                    source: Source(gateway: "bench"),
                    tenantID: "tenant-\(member % 20)",
                    actor: Actor(id: "member-\(member)@bench.example", type: .user),
                    target: Target(tool: "tool_\((member + tool * 7) % toolCount)"),
                    outcome: Outcome(status: .success, resultBytes: 1_000)
                )
                _ = engine.process(event)
            }
        }
        return engine
    }

    private func status(_ field: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) })
        else { return 0 }
        return (line.split(separator: " ").dropFirst().first.flatMap { Double($0) } ?? 0) / 1024
    }

    private func resident() -> Double { status("VmRSS:") }
    private func peakResident() -> Double { status("VmHWM:") }
}
