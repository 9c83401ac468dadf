import Foundation
import Testing

@testable import SIEM

@Suite("Spool, replay ring and back-off")
struct SpoolTests {
    func directory() -> String {
        let path = NSTemporaryDirectory() + "countersign-spool-\(UUID().uuidString)"
        return path
    }

    func messages(_ range: Range<Int>) -> [[UInt8]] { range.map { Array("message \($0)".utf8) } }

    func drainAll(_ spool: SyslogSpool, chunk: Int = 3) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        while !spool.isEmpty {
            let got = try spool.peek(limit: chunk)
            out += got
            try spool.advance(got.count)
        }
        return out
    }

    @Test("FIFO across segments; a reopened spool resumes after what was drained")
    func fifoAndReopen() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = SpoolSettings(directory: path, maxBytes: 1 << 20, segmentBytes: 64)
        let spool = try SyslogSpool(settings: settings)
        for start in stride(from: 0, to: 40, by: 4) { try spool.append(messages(start..<(start + 4))) }
        #expect(spool.count == 40)
        let segments = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".spool") }
        #expect(segments.count > 3)
        let first = try spool.peek(limit: 7)
        try spool.advance(first.count)
        #expect(first == messages(0..<7))

        let reopened = try SyslogSpool(settings: settings)
        #expect(reopened.count == 33)
        #expect(try drainAll(reopened) == messages(7..<40))
        #expect(reopened.bytes == 0)
        #expect(try SyslogSpool(settings: settings).isEmpty)
    }

    @Test("Prepended messages come out first, also while a segment is half drained", arguments: [false, true])
    func prepend(reopen: Bool) throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = SpoolSettings(directory: path, segmentBytes: 1 << 20)
        var spool = try SyslogSpool(settings: settings)
        try spool.append(messages(10..<20))
        try spool.advance(try spool.peek(limit: 4).count)
        try spool.prepend(messages(0..<3))
        try spool.append(messages(20..<22))
        if reopen { spool = try SyslogSpool(settings: settings) }
        #expect(spool.count == 11)
        #expect(try drainAll(spool) == messages(0..<3) + messages(14..<22))
    }

    @Test("A torn record at the end (crash during an append) is cut off when the spool opens")
    func tornTail() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = SpoolSettings(directory: path)
        try SyslogSpool(settings: settings).append(messages(0..<5))
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: path).first { $0.hasSuffix(".spool") }
        )
        let handle = try #require(FileHandle(forWritingAtPath: path + "/" + segment))
        handle.seekToEndOfFile()
        handle.write(Data([0, 0, 0, 50]) + Data("half a mess".utf8))
        handle.closeFile()
        let reopened = try SyslogSpool(settings: settings)
        #expect(reopened.count == 5)
        try reopened.append(messages(5..<6))
        #expect(try drainAll(reopened) == messages(0..<6))
    }

    @Test("When full: block refuses the batch, drop_newest keeps the oldest, drop_oldest the newest")
    func whenFull() throws {
        let path = directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let size = 4 + messages(0..<1)[0].count  // every test message has the same length
        // block
        let blocking = try SyslogSpool(
            settings: SpoolSettings(directory: path + "/b", maxBytes: size * 10, segmentBytes: size * 3)
        )
        try blocking.append(messages(0..<8))
        #expect(throws: SpoolError.self) { try blocking.append(messages(8..<11)) }
        #expect(blocking.count == 8)
        try blocking.append(messages(8..<10))
        #expect(blocking.count == 10)
        // drop_newest
        let newest = try SyslogSpool(
            settings: SpoolSettings(
                directory: path + "/n",
                maxBytes: size * 10,
                whenFull: .dropNewest,
                segmentBytes: size * 3
            )
        )
        try newest.append(messages(0..<8))
        #expect(try newest.append(messages(8..<11)) == 1)
        #expect(try drainAll(newest) == messages(0..<10))
        // drop_oldest drops whole segments (three messages each here)
        let oldest = try SyslogSpool(
            settings: SpoolSettings(
                directory: path + "/o",
                maxBytes: size * 10,
                whenFull: .dropOldest,
                segmentBytes: size * 3
            )
        )
        try oldest.append(messages(0..<3))
        try oldest.append(messages(3..<6))
        try oldest.append(messages(6..<9))
        #expect(try oldest.append(messages(9..<11)) == 3)
        #expect(try drainAll(oldest) == messages(3..<11))
    }

    @Test("Replay ring: confirmed by an open connection after the window, bounded in bytes")
    func replayRing() {
        let start = ContinuousClock.now
        var ring = ReplayRing(window: .seconds(2), maxBytes: 100)
        ring.record(messages(0..<3), at: start)
        ring.record(messages(3..<5), at: start + .seconds(1))
        ring.confirm(at: start + .milliseconds(2_500))
        #expect(ring.count == 2)
        #expect(ring.takeAll() == messages(3..<5))
        #expect(ring.count == 0)
        ring.record(messages(0..<20), at: start)  // 9 or 10 bytes each
        #expect(ring.bytes <= 100)
        #expect(ring.unprotected > 0)
        #expect(ring.takeAll().last == messages(19..<20)[0])
    }

    @Test("Back-off doubles from 100 ms to the maximum and resets on success")
    func backoff() {
        var backoff = ReconnectBackoff(initial: .milliseconds(100), maximum: .seconds(1))
        #expect(backoff.delay(afterFailures: 1) == .milliseconds(100))
        #expect(backoff.delay(afterFailures: 3) == .milliseconds(400))
        #expect(backoff.delay(afterFailures: 10) == .seconds(1))
        let now = ContinuousClock.now
        #expect(backoff.allows(at: now))
        backoff.failed(at: now, jitter: 1)
        backoff.failed(at: now, jitter: 1)
        #expect(!backoff.allows(at: now + .milliseconds(199)))
        #expect(backoff.allows(at: now + .milliseconds(200)))
        backoff.succeeded()
        #expect(backoff.allows(at: now))
    }
}
