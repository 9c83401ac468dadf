import AuditEvent
import Foundation
import Pipeline
import Testing

@testable import SIEM

/// Delivery against a listener in the test that stops and starts: the
/// spool takes what the collector cannot, drains in order when it is back,
/// and a broken connection's unconfirmed messages are sent again.
@Suite("Syslog delivery through outages")
struct DeliveryTests {
    func messages(_ range: Range<Int>) -> [[UInt8]] { range.map { Array("m\($0)".utf8) } }

    func waitFor(_ listener: FrameListener, count: Int) async throws -> [String] {
        for _ in 0..<300 {
            let got = listener.messages
            if Set(got).count >= count { return got }
            try await Task.sleep(for: .milliseconds(20))
        }
        return listener.messages
    }

    /// Every index once at least, first arrivals in order, repeats within `replayed`.
    func checkOrder(_ received: [String], count: Int, replayed: Int) {
        var seen = Set<Int>()
        var last = -1
        var repeats = 0
        for text in received {
            guard let index = Int(text.dropFirst()) else {
                Issue.record("unexpected message")
                continue
            }
            if seen.insert(index).inserted {
                #expect(index == last + 1, "message \(index) arrived after \(last)")
                last = index
            } else {
                repeats += 1
            }
        }
        #expect(seen.count == count)
        #expect(repeats <= replayed)
    }

    @Test("Collector down: batches are spooled and acknowledged; back up: drained in order, nothing lost")
    func outageWithSpool() async throws {
        let listener = try FrameListener()
        let path = NSTemporaryDirectory() + "countersign-delivery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let delivery = try SyslogDelivery(
            endpoint: SyslogEndpoint(host: "127.0.0.1", port: listener.port, transport: .tcp),
            spool: SpoolSettings(directory: path)
        )
        var now = ContinuousClock.now
        try delivery.deliver(messages(0..<100), now: now)
        _ = try await waitFor(listener, count: 100)
        #expect(delivery.counters.sent == 100)

        listener.stop()
        try await Task.sleep(for: .milliseconds(50))
        for start in stride(from: 100, to: 300, by: 50) {
            now += .milliseconds(100)
            try delivery.deliver(messages(start..<(start + 50)), now: now)
        }
        #expect(delivery.counters.replayed >= 100)
        #expect(delivery.counters.spooled >= 300)
        #expect(delivery.counters.spoolDepth >= 200)

        try listener.start()
        now += .seconds(60)  // past any back-off
        delivery.maintain(now: now)
        try delivery.deliver(messages(300..<310), now: now)
        #expect(delivery.counters.spoolDepth == 0)
        let received = try await waitFor(listener, count: 310)
        checkOrder(received, count: 310, replayed: delivery.counters.replayed)
    }

    @Test("Without a spool an unreachable collector refuses the batch; the replay goes first once it is back")
    func outageWithoutSpool() async throws {
        let listener = try FrameListener()
        let delivery = try SyslogDelivery(
            endpoint: SyslogEndpoint(host: "127.0.0.1", port: listener.port, transport: .tcp),
            spool: nil
        )
        var now = ContinuousClock.now
        try delivery.deliver(messages(0..<50), now: now)
        _ = try await waitFor(listener, count: 50)
        listener.stop()
        try await Task.sleep(for: .milliseconds(50))
        now += .milliseconds(100)
        #expect(throws: SyslogSendError.self) { try delivery.deliver(self.messages(50..<60), now: now) }
        #expect(delivery.counters.replayed == 50)
        try listener.start()
        now += .seconds(60)
        try delivery.deliver(messages(50..<60), now: now)
        let received = try await waitFor(listener, count: 60)
        checkOrder(received, count: 60, replayed: delivery.counters.replayed)
    }

    @Test("Back-off: while it runs no connection is attempted and batches go to the spool at once")
    func backoffSpools() throws {
        let path = NSTemporaryDirectory() + "countersign-delivery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // A port nobody listens on: bind one, note it, close it.
        let probe = try FrameListener()
        let port = probe.port
        probe.stop()
        let delivery = try SyslogDelivery(
            endpoint: SyslogEndpoint(host: "127.0.0.1", port: port, transport: .tcp),
            spool: SpoolSettings(directory: path)
        )
        let now = ContinuousClock.now
        try delivery.deliver(messages(0..<10), now: now)
        #expect(delivery.counters.failures == 1)
        try delivery.deliver(messages(10..<20), now: now + .milliseconds(10))
        #expect(delivery.counters.failures == 1)
        #expect(delivery.counters.spoolDepth == 20)
    }
}

@Suite("SIEM sink selection")
struct SelectionTests {
    @Test("send all with a filter: only matching events go, alerts always")
    func filter() async throws {
        let listener = try FrameListener()
        var settings = SIEMSettings(
            endpoint: SyslogEndpoint(host: "127.0.0.1", port: listener.port, transport: .tcp),
            selection: .all
        )
        settings.filter = SIEMEventFilter(statuses: [.denied], tools: ["send_email", "read_file"])
        let sink = try SIEMSink(settings: settings)
        let cases: [(String, OutcomeStatus, Bool)] = [
            ("send_email", .denied, true), ("send_email", .success, false), ("run_query", .denied, false),
            ("read_file", .denied, true),
        ]
        let events = cases.enumerated().map { index, item in
            let event = AuditEvent.build { (fields: inout AuditEvent.Fields) in
                fields.eventID = "event-\(index)"
                fields.target.tool = item.0
                fields.outcome.status = item.1
            }
            return ConsumedEvent(event: event, topic: "t", partition: 0, offset: Int64(index))
        }
        _ = try await sink.write(EventBatch(events: events, alerts: [RsyslogTests.alert(7)]))
        var received: [String] = []
        for _ in 0..<300 where received.count < 3 {
            try await Task.sleep(for: .milliseconds(20))
            received = listener.messages
        }
        let ids = received.compactMap { line in
            line.range(of: "externalId=").map { String(line[$0.upperBound...].prefix { $0 != " " }) }
        }
        #expect(ids == ["event-0", "event-3", "alert-7"])
    }
}
