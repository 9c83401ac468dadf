import AuditDecoder
import AuditEvent
import Testing
import TrafficGenerator

@Suite("Incidents in generated traffic")
struct IncidentStreamTests {
    let traffic = SyntheticTraffic(seed: 31)

    func events(_ stream: IncidentStream) -> [AuditEvent] { Array(stream) }

    func planted(_ incident: Incident, in all: [AuditEvent]) -> [AuditEvent] {
        all.filter {
            $0.actor.id == incident.actor && $0.occurredAt >= incident.start && $0.occurredAt <= incident.end
        }
    }

    @Test("one incident of each kind, with ground truth; every event valid and unique")
    func everyKind() throws {
        let stream = IncidentStream(traffic: traffic, count: 30_000, incidentCount: Incident.Kind.allCases.count)
        #expect(stream.incidents.map(\.kind) == Incident.Kind.allCases)
        let all = events(stream)
        #expect(all.count == stream.totalCount)
        #expect(all.count > 30_000)
        #expect(Set(all.map(\.eventID)).count == all.count)
        let decoder = try AuditEventDecoder()
        for event in all.prefix(2_000) + all.suffix(2_000) {
            var decoded = try decoder.decode(event.jsonBytes())
            decoded.raw = []
            #expect(decoded == event)
        }
        for incident in stream.incidents { #expect(incident.start <= incident.end) }
    }

    @Test("each kind plants the behaviour it names")
    func behaviour() {
        let stream = IncidentStream(traffic: traffic, count: 30_000, incidentCount: Incident.Kind.allCases.count)
        let all = events(stream)
        let byKind = Dictionary(uniqueKeysWithValues: stream.incidents.map { ($0.kind, $0) })

        let spike = planted(byKind[.spike]!, in: all).filter { $0.target.tool == byKind[.spike]!.tool }
        #expect(spike.count >= 300)
        let exfiltration = planted(byKind[.exfiltration]!, in: all).compactMap(\.outcome.resultBytes)
        #expect(exfiltration.filter { $0 >= 50_000_000 }.count == 25)
        let resources = Set(planted(byKind[.breadth]!, in: all).compactMap(\.target.resourceURI))
        #expect(resources.filter { $0.contains("/archive/") }.count >= 40)
        let sequence = planted(byKind[.readThenSend]!, in: all)
        let read = sequence.first { $0.target.tool == "run_query" }
        let send = sequence.first { $0.target.tool == "send_email" }
        #expect(read != nil && send != nil && read!.occurredAt < send!.occurredAt)
        // The send carries about what the read returned.
        #expect((send?.request.argsBytes ?? 0) * 2 >= (read?.outcome.resultBytes ?? .max))
        let failures = planted(byKind[.probing]!, in: all).filter { $0.outcome.status.isFailure }
        #expect(failures.count >= 60)
        let firstSeen = all.filter { $0.target.tool == "iam_create_access_key" }
        #expect(firstSeen.count == 3)
        #expect(firstSeen.allSatisfy { $0.actor.id == byKind[.firstSeen]!.actor })
        let offHours = byKind[.offHours]!
        let member = traffic.members.first { $0.id == offHours.actor }!
        let late = planted(offHours, in: all)
        #expect(late.count >= 20)
        #expect(late.allSatisfy { !member.isActive(atHour: SyntheticTraffic.hour(of: $0.occurredAt)) })
    }

    @Test("members call only in their working hours; automation around the clock; paces differ")
    func habits() {
        // Four days of event time in 40,000 events.
        let spread = SyntheticTraffic(seed: 8, spacingMicroseconds: 8_640_000)
        var hours: [String: Set<Int>] = [:]
        var calls: [String: Int] = [:]
        for index in 0..<40_000 {
            let event = spread.event(at: index)
            hours[event.actor.id, default: []].insert(SyntheticTraffic.hour(of: event.occurredAt))
            calls[event.actor.id, default: 0] += 1
        }
        for member in spread.members {
            let worked = hours[member.id] ?? []
            #expect(worked.allSatisfy { member.isActive(atHour: $0) }, "\(member.id) called off its hours")
            #expect(worked.count <= member.hourCount)
        }
        let automated = spread.members.filter { $0.hourCount == 24 }
        #expect(!automated.isEmpty)
        #expect(automated.contains { (hours[$0.id]?.count ?? 0) >= 20 })
        let people = spread.members.filter { $0.hourCount < 24 }
        func meanCalls(pace: Int) -> Double {
            let counts: [Int] = people.filter { $0.pace == pace }.map { calls[$0.id] ?? 0 }
            return Double(counts.reduce(0, +)) / Double(max(counts.count, 1))
        }
        #expect(meanCalls(pace: 4) > 2 * meanCalls(pace: 1))
    }

    @Test("the same seed gives the same incidents and events")
    func deterministic() {
        let a = IncidentStream(traffic: SyntheticTraffic(seed: 5), count: 5_000, incidentCount: 3)
        let b = IncidentStream(traffic: SyntheticTraffic(seed: 5), count: 5_000, incidentCount: 3)
        #expect(a.incidents == b.incidents)
        #expect(events(a).map { $0.jsonBytes() } == events(b).map { $0.jsonBytes() })
        #expect(a.incidents.map(\.labelLine) == b.incidents.map(\.labelLine))
    }

    @Test("no incidents leaves the steady traffic unchanged")
    func none() {
        let stream = IncidentStream(traffic: traffic, count: 1_000, incidentCount: 0)
        #expect(stream.incidents.isEmpty)
        #expect(events(stream).map(\.eventID) == (0..<1_000).map { traffic.event(at: $0).eventID })
    }
}
