import AuditDecoder
import AuditEvent
import Detection
import Testing
import TrafficGenerator

@Suite("Detection engine")
struct EngineTests {
    /// A day and a half of generated traffic with one incident of each kind.
    static let stream: [AuditEvent] = {
        let traffic = SyntheticTraffic(seed: 5, spacingMicroseconds: 900_000)
        return Array(IncidentStream(traffic: traffic, count: 150_000, incidentCount: Incident.Kind.allCases.count))
    }()

    func text(_ alerts: [Alert]) -> [UInt8] { alerts.flatMap { $0.event.jsonBytes() + [10] } }

    @Test("the same events in the same order give byte-identical alerts")
    func deterministic() {
        let first = alerts(Self.stream)
        let second = alerts(Self.stream)
        #expect(!first.isEmpty)
        #expect(text(first) == text(second))
    }

    @Test("in two halves with a snapshot and restore between, the alerts are those of one go")
    func snapshotRestore() throws {
        let whole = alerts(Self.stream)
        for cut in [Self.stream.count / 3, Self.stream.count / 2] {
            var engine = DetectionEngine()
            var parts = Self.stream[..<cut].flatMap { engine.process($0) }
            let snapshot = engine.snapshot()
            var restored = try DetectionEngine(snapshot: snapshot)
            #expect(restored.snapshot() == snapshot)
            parts += Self.stream[cut...].flatMap { restored.process($0) }
            #expect(text(parts) == text(whole), "cut at \(cut)")
        }
    }

    @Test("a snapshot cut short, or of another format, is refused with a reason")
    func badSnapshot() {
        var engine = DetectionEngine()
        for event in Self.stream.prefix(5_000) { _ = engine.process(event) }
        let snapshot = engine.snapshot()
        #expect(throws: DetectionEngine.SnapshotError.self) {
            try DetectionEngine(snapshot: Array(snapshot.dropLast(3)))
        }
        #expect(throws: DetectionEngine.SnapshotError.self) {
            try DetectionEngine(snapshot: Array("not a snapshot".utf8))
        }
        var other = DetectionSettings()
        other.windowSeconds = 300
        #expect(throws: DetectionEngine.SnapshotError.self) { try DetectionEngine(snapshot: snapshot, settings: other) }
    }

    @Test("alerts are valid mcp.audit/1 detection events with every field the SOC needs")
    func alertEvents() throws {
        let found = alerts(Self.stream)
        let decoder = try AuditEventDecoder()
        for alert in found {
            let event = try decoder.decode(alert.event.jsonBytes())
            #expect(event.kind == .detection)
            #expect(event.eventID == alert.alertID)
            #expect(event.occurredAt == alert.at)
            let detection = try #require(event.detection?.text)
            for key in [
                "\"detector\":", "\"key\":", "\"window\":", "\"observed\":", "\"baseline\":", "\"score\":",
                "\"severity\":", "\"contributing_event_ids\":",
            ] {
                #expect(detection.contains(key))
            }
            #expect((0...10).contains(alert.severity))
            #expect((0...1).contains(alert.score))
            #expect(alert.contributingEventIDs.count <= DetectionSettings().maxEvidence)
        }
        #expect(Set(found.map(\.alertID)).count == found.count)
    }

    @Test("late events are counted and skipped; the engine goes on")
    func late() {
        var script = Script()
        script.routine(["a"], minutes: 0..<30)
        script.call("a", "search_code", at: 10)  // 29 minutes behind the newest
        var engine = DetectionEngine()
        for event in script.events { _ = engine.process(event) }
        #expect(engine.statistics.late == 1)
        #expect(engine.statistics.events == script.events.count)
    }

    @Test("members and pairs idle longer than the eviction age are forgotten; caps bound the tables")
    func eviction() {
        var settings = DetectionSettings()
        settings.evictAfterSeconds = 3_600
        settings.maxMembers = 3
        var script = Script()
        script.routine(["a", "b", "c", "d"], minutes: 0..<5)
        script.routine(["a"], minutes: 300..<305)
        var engine = DetectionEngine(settings: settings)
        for event in script.sorted { _ = engine.process(event) }
        #expect(engine.statistics.untracked > 0, "the fourth member is over the cap")
        // a, b and c went idle for hours: all three are forgotten; a comes back as a new key.
        #expect(engine.statistics.evictedMembers == 3)
        #expect(engine.trackedMembers == 1)
        #expect(engine.statistics.evictedPairs > 0)
    }
}
