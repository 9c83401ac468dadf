import AuditEvent
import Detection
import Testing

/// Each detector fires on the behaviour it names and stays quiet on a near miss.
@Suite("Detectors")
struct DetectorTests {
    let team = (0..<5).map { "member-\($0)@acme.example" }

    func history() -> Script {
        var script = Script()
        script.routine(team, minutes: 0..<90)
        return script
    }

    @Test("spike: a hundred calls in a minute fire for the member and the member x tool; ten do not")
    func spike() {
        var script = history()
        for k in 0..<100 { script.call(team[0], "search_code", at: 90 * 60 + Double(k) * 0.5) }
        let found = alerts(script.sorted).of(.spike)
        #expect(found.contains { $0.scope == .member && $0.member == team[0] })
        #expect(found.contains { $0.scope == .memberTool && $0.tool == "search_code" })
        // One alert per key however long the burst: the cool-down holds the rest.
        #expect(found.filter { $0.scope == .member }.count == 1)

        var calm = history()
        for k in 0..<10 { calm.call(team[0], "search_code", at: 90 * 60 + Double(k) * 3) }
        #expect(alerts(calm.sorted).isEmpty)
    }

    @Test("exfiltration: 90 MB of results in a minute fire; 3 MB do not")
    func exfiltration() {
        var script = history()
        for k in 0..<3 { script.call(team[1], "export_document", at: 90 * 60 + Double(k) * 10, bytes: 30_000_000) }
        let found = alerts(script.sorted).of(.exfiltration)
        #expect(found.count == 1)
        #expect(found.first?.member == team[1])
        #expect((found.first?.observed ?? 0) >= 20_000_000)

        var calm = history()
        for k in 0..<3 { calm.call(team[1], "export_document", at: 90 * 60 + Double(k) * 10, bytes: 1_000_000) }
        #expect(alerts(calm.sorted).of(.exfiltration).isEmpty)
    }

    @Test("breadth: sixty distinct resources in a minute fire; sixty reads of one resource do not")
    func breadth() {
        var script = history()
        for k in 0..<60 {
            script.call(team[2], "read_file", at: 90 * 60 + Double(k), resource: "file:///share/finance/\(k).xlsx")
        }
        let found = alerts(script.sorted).of(.breadth)
        #expect(found.count == 1)
        #expect(found.first?.member == team[2])

        var calm = history()
        for k in 0..<60 {
            calm.call(team[2], "read_file", at: 90 * 60 + Double(k) * 2, resource: "file:///share/a.xlsx")
        }
        #expect(alerts(calm.sorted).of(.breadth).isEmpty)
    }

    @Test("read-then-send: a large sensitive read then an external send fire; a small read, or a late send, do not")
    func readThenSend() {
        var script = history()
        script.call(team[3], "run_query", at: 90 * 60, bytes: 900_000)
        script.call(team[3], "send_email", at: 92 * 60)
        let found = alerts(script.sorted).of(.readThenSend)
        #expect(found.count == 1)
        #expect(found.first?.tool == "send_email")
        #expect(found.first?.contributingEventIDs.count ?? 0 >= 2)

        var small = history()
        small.call(team[3], "run_query", at: 90 * 60, bytes: 20_000)
        small.call(team[3], "send_email", at: 92 * 60)
        #expect(alerts(small.sorted).of(.readThenSend).isEmpty)

        var late = history()
        late.call(team[3], "run_query", at: 90 * 60, bytes: 900_000)
        late.call(team[3], "send_email", at: 120 * 60)
        #expect(alerts(late.sorted).of(.readThenSend).isEmpty)
    }

    @Test("probing: thirty denied calls in thirty seconds fire; thirty spread over half an hour do not")
    func probing() {
        var script = history()
        for k in 0..<30 { script.call(team[4], "run_query", at: 90 * 60 + Double(k), status: .denied) }
        let found = alerts(script.sorted).of(.probing)
        #expect(found.count == 1)
        #expect(found.first?.member == team[4])

        var calm = Script()
        calm.routine(team, minutes: 0..<130)
        for k in 0..<30 { calm.call(team[4], "run_query", at: 90 * 60 + Double(k) * 60 + 30, status: .denied) }
        #expect(alerts(calm.sorted).of(.probing).isEmpty)
    }

    @Test(
        "first-seen: a tool nobody uses fires after the warm-up; a tool others use does not, nor any tool during warm-up"
    )
    func firstSeen() {
        var script = Script()
        script.routine(team, minutes: 0..<110)
        script.call(team[0], "delete_repository", at: 110 * 60 + 5)
        let found = alerts(script.sorted).of(.firstSeen)
        #expect(found.count == 1)
        #expect(found.first?.tool == "delete_repository")

        var common = Script()
        common.routine(team, minutes: 0..<110)
        // The others took the tool up during their own warm-up: it is common by now.
        for member in team.dropFirst() { common.call(member, "list_branches", at: 50 * 60) }
        common.call(team[0], "list_branches", at: 110 * 60 + 5)
        #expect(alerts(common.sorted).of(.firstSeen).isEmpty)

        var early = Script()
        early.routine(team, minutes: 0..<10)
        early.call(team[0], "delete_repository", at: 10 * 60 + 5)
        #expect(alerts(early.sorted).of(.firstSeen).isEmpty)
    }

    @Test("off-hours: a call at 03:00 from a member who works 09:00-17:00 fires; one at 10:00 does not")
    func offHours() {
        var script = Script()
        for day in 0..<3 {
            script.routine([team[0]], minutes: (day * 1_440 + 540)..<(day * 1_440 + 1_020), perMinute: 1)
        }
        var night = script
        night.call(team[0], "search_code", at: Double(3 * 86_400 + 3 * 3_600))
        let found = alerts(night.sorted).of(.offHours)
        #expect(found.count == 1)
        #expect(found.first?.observed == 3)

        var day = script
        day.call(team[0], "search_code", at: Double(3 * 86_400 + 10 * 3_600))
        #expect(alerts(day.sorted).of(.offHours).isEmpty)

        // Seen for less than a day: hours cannot be judged yet.
        var young = Script()
        young.routine([team[0]], minutes: 540..<1_020, perMinute: 1)
        young.call(team[0], "search_code", at: Double(22 * 3_600))
        #expect(alerts(young.sorted).of(.offHours).isEmpty)
    }

    @Test("a disabled detector never fires")
    func disabled() {
        var script = history()
        for k in 0..<30 { script.call(team[4], "run_query", at: 90 * 60 + Double(k), status: .denied) }
        var settings = DetectionSettings()
        settings.probing.enabled = false
        #expect(alerts(script.sorted, settings: settings).of(.probing).isEmpty)
    }
}
