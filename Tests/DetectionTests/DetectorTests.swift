import AuditEvent
import Detection
import Testing

/// Each detector fires on the behaviour it names and stays quiet on a near miss.
@Suite("Detectors")
struct DetectorTests {
    let team = (0..<5).map { "member-\($0)@acme.example" }

    /// Two calls a minute each for `minutes`, over the three routine tools.
    func history(minutes: Int = 130) -> Script {
        var script = Script()
        script.routine(team, minutes: 0..<minutes)
        return script
    }

    @Test("spike: 400 calls in ten minutes after a day of routine fire for the member and the pair; 40 do not")
    func spike() {
        let start = 26 * 3_600.0
        var script = history(minutes: 26 * 60)
        for k in 0..<400 { script.call(team[0], "search_code", at: start + Double(k) * 1.5) }
        let found = alerts(script.sorted).of(.spike)
        #expect(found.contains { $0.scope == .member && $0.member == team[0] })
        #expect(found.contains { $0.scope == .memberTool && $0.tool == "search_code" })
        // One alert per key however long the burst: the cool-down holds the rest.
        #expect(found.filter { $0.scope == .member }.count == 1)

        var calm = history(minutes: 26 * 60)
        for k in 0..<40 { calm.call(team[0], "search_code", at: start + Double(k) * 15) }
        #expect(alerts(calm.sorted).of(.spike).isEmpty)

        // The same burst in the member's first hour: no idea yet of a busy day.
        var young = history(minutes: 60)
        for k in 0..<400 { young.call(team[0], "search_code", at: 3_600 + Double(k) * 1.5) }
        #expect(alerts(young.sorted).of(.spike).isEmpty)
    }

    @Test("exfiltration: three calls returning 3 MB where the pair returns kilobytes fire; two, or 30 kB, do not")
    func exfiltration() {
        var script = history()
        for k in 0..<3 { script.call(team[1], "get_file_contents", at: 130 * 60 + Double(k) * 300, bytes: 3_000_000) }
        let found = alerts(script.sorted).of(.exfiltration)
        #expect(found.count == 1)
        #expect(found.first?.member == team[1])
        #expect(found.first?.scope == .memberTool)
        #expect((found.first?.observed ?? 0) >= 9_000_000)

        var two = history()
        for k in 0..<2 { two.call(team[1], "get_file_contents", at: 130 * 60 + Double(k) * 300, bytes: 3_000_000) }
        #expect(alerts(two.sorted).of(.exfiltration).isEmpty)

        var modest = history()
        for k in 0..<3 { modest.call(team[1], "get_file_contents", at: 130 * 60 + Double(k) * 300, bytes: 30_000) }
        #expect(alerts(modest.sorted).of(.exfiltration).isEmpty)
    }

    @Test(
        "breadth: twelve reads of never-touched files fire for a member who keeps to a few; twelve of known files do not"
    )
    func breadth() {
        func base() -> Script {
            var script = history()
            for k in 0..<60 {
                script.call(team[2], "read_file", at: Double(k * 120 + 7), resource: "file:///share/\(k % 4).xlsx")
            }
            return script
        }
        var script = base()
        for k in 0..<12 {
            script.call(team[2], "read_file", at: 130 * 60 + Double(k) * 60, resource: "file:///finance/\(k).xlsx")
        }
        let found = alerts(script.sorted).of(.breadth)
        #expect(found.count == 1)
        #expect(found.first?.member == team[2])
        #expect(found.first?.observed == 8)

        var calm = base()
        for k in 0..<12 {
            calm.call(team[2], "read_file", at: 130 * 60 + Double(k) * 60, resource: "file:///share/\(k % 4).xlsx")
        }
        #expect(alerts(calm.sorted).of(.breadth).isEmpty)
    }

    @Test(
        "read-then-send: a large read, then a send carrying about as much, fire; a small send, a small read or a late send do not"
    )
    func readThenSend() {
        func case_(read: Int64, sent: Int64, after minutes: Double) -> [Alert] {
            var script = history()
            script.call(team[3], "run_query", at: 130 * 60, bytes: read, server: "postgres")
            script.call(team[3], "send_email", at: 130 * 60 + minutes * 60, args: sent, server: "gmail")
            return alerts(script.sorted).of(.readThenSend)
        }
        let found = case_(read: 4_000_000, sent: 3_900_000, after: 2)
        #expect(found.count == 1)
        #expect(found.first?.tool == "send_email")
        #expect(found.first?.contributingEventIDs.count ?? 0 >= 2)
        // A short note after a report is not the report leaving.
        #expect(case_(read: 4_000_000, sent: 2_000, after: 2).isEmpty)
        #expect(case_(read: 20_000, sent: 20_000, after: 2).isEmpty)
        #expect(case_(read: 4_000_000, sent: 3_900_000, after: 40).isEmpty)
    }

    @Test(
        "probing: thirty denied calls in thirty seconds fire; thirty spread over half an hour do not; tool errors never"
    )
    func probing() {
        var script = history()
        for k in 0..<30 { script.call(team[4], "run_query", at: 130 * 60 + Double(k), status: .denied) }
        let found = alerts(script.sorted).of(.probing)
        #expect(found.count == 1)
        #expect(found.first?.member == team[4])

        var calm = history(minutes: 170)
        for k in 0..<30 { calm.call(team[4], "run_query", at: 130 * 60 + Double(k) * 60 + 30, status: .denied) }
        #expect(alerts(calm.sorted).of(.probing).isEmpty)

        var errors = history()
        for k in 0..<30 { errors.call(team[4], "run_query", at: 130 * 60 + Double(k), status: .toolError) }
        #expect(alerts(errors.sorted).of(.probing).isEmpty)
    }

    @Test(
        "first-seen: an admin tool, or a refund on a server never used, fire after the warm-up; a new ordinary tool does not"
    )
    func firstSeen() {
        var script = history()
        script.call(team[0], "iam.create_access_key", at: 130 * 60 + 5)
        script.call(team[1], "create_refund", at: 130 * 60 + 9, server: "stripe")
        let found = alerts(script.sorted).of(.firstSeen)
        #expect(found.map(\.tool) == ["iam.create_access_key", "create_refund"])

        var ordinary = history()
        ordinary.call(team[0], "list_branches", at: 130 * 60 + 5)
        #expect(alerts(ordinary.sorted).of(.firstSeen).isEmpty)

        // A second admin tool is not news: the member has used one.
        var second = history()
        second.call(team[0], "iam.create_access_key", at: 130 * 60 + 5)
        second.call(team[0], "iam.attach_policy", at: 130 * 60 + 50)
        #expect(alerts(second.sorted).of(.firstSeen).count == 1)

        var early = Script()
        early.routine(team, minutes: 0..<10)
        early.call(team[0], "iam.create_access_key", at: 10 * 60 + 5)
        #expect(alerts(early.sorted).of(.firstSeen).isEmpty)
    }

    @Test(
        "off-hours: a session at 03:00 from a member who works 09:00-17:00 fires; one call, a day session or a late day do not"
    )
    func offHours() {
        var script = Script()
        for day in 0..<4 {
            script.routine([team[0]], minutes: (day * 1_440 + 540)..<(day * 1_440 + 1_020), perMinute: 1)
        }
        func session(at hour: Double, calls: Int, into base: Script) -> [Alert] {
            var copy = base
            for k in 0..<calls { copy.call(team[0], "search_code", at: 4 * 86_400 + hour * 3_600 + Double(k) * 120) }
            return alerts(copy.sorted).of(.offHours)
        }
        let found = session(at: 3, calls: 12, into: script)
        #expect(found.count == 1)
        #expect(found.first?.observed == 8)
        #expect(session(at: 3, calls: 1, into: script).isEmpty)
        #expect(session(at: 10, calls: 12, into: script).isEmpty)

        // A working day that runs on to 21:00 is one session, not a night out.
        var late = script
        late.routine([team[0]], minutes: (4 * 1_440 + 540)..<(4 * 1_440 + 1_260), perMinute: 1)
        #expect(alerts(late.sorted).of(.offHours).isEmpty)

        // Seen for less than three days: hours cannot be judged yet.
        var young = Script()
        young.routine([team[0]], minutes: 540..<1_020, perMinute: 1)
        for k in 0..<12 { young.call(team[0], "search_code", at: 86_400 + 3 * 3_600 + Double(k) * 120) }
        #expect(alerts(young.sorted).of(.offHours).isEmpty)
    }

    @Test("a disabled detector never fires")
    func disabled() {
        var script = history()
        for k in 0..<30 { script.call(team[4], "run_query", at: 130 * 60 + Double(k), status: .denied) }
        var settings = DetectionSettings()
        settings.probing.enabled = false
        #expect(alerts(script.sorted, settings: settings).of(.probing).isEmpty)
        #expect(!alerts(script.sorted).of(.probing).isEmpty)
    }
}
