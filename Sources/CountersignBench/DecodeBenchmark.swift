import AuditDecoder
import AuditEvent
import Foundation
import TrafficGenerator

/// Decodes the same generated messages with the simdjson decoder and with
/// Foundation's JSONDecoder, one core, and prints both rates and their ratio.
struct DecodeBenchmark {
    var events: Int
    var peerEvents: Int

    func run() throws {
        let traffic = SyntheticTraffic(seed: 42)
        print("decode: generating \(events) events (seed 42)...")
        let messages = (0..<events).map { traffic.message(at: $0) }
        let totalBytes = messages.reduce(0) { $0 + $1.count }
        print("decode: \(events) events, \(totalBytes) bytes, mean \(totalBytes / events) bytes/event")

        let decoder = try AuditEventDecoder()
        // Warm up caches and the parser's buffers.
        for message in messages.prefix(10_000) { _ = try decoder.decode(message) }
        var checksum = 0
        let simdStart = ContinuousClock.now
        for message in messages {
            let event = try decoder.decode(message)
            checksum &+= event.eventID.utf8.count &+ Int(event.outcome.resultBytes ?? 0)
        }
        let simdSeconds = seconds(ContinuousClock.now - simdStart)
        let simdRate = Double(events) / simdSeconds

        let peer = makeFoundationDecoder()
        let peerMessages = messages.prefix(peerEvents).map { Data($0) }
        var peerChecksum = 0
        let peerStart = ContinuousClock.now
        for message in peerMessages {
            let event = try peer.decode(FoundationAuditEvent.self, from: message)
            peerChecksum &+= event.event_id.utf8.count &+ Int(event.outcome.result_bytes ?? 0)
        }
        let peerSeconds = seconds(ContinuousClock.now - peerStart)
        let peerRate = Double(peerMessages.count) / peerSeconds

        print(
            "decode: simdjson decoder  \(format(simdRate)) events/s  (\(format(Double(totalBytes) / simdSeconds / 1e6)) MB/s, \(events) events in \(format(simdSeconds)) s)"
        )
        print(
            "decode: Foundation JSONDecoder  \(format(peerRate)) events/s  (\(peerMessages.count) events in \(format(peerSeconds)) s)"
        )
        print(
            "decode: ratio simdjson/JSONDecoder = \(format(simdRate / peerRate))x  [checksums \(checksum % 997) \(peerChecksum % 997)]"
        )
    }
}

extension DecodeBenchmark {
    /// Decodes 2,000 distinct messages over and over: a steady loop for `perf record`.
    func profileLoop() throws {
        let traffic = SyntheticTraffic(seed: 42)
        let messages = (0..<2000).map { traffic.message(at: $0) }
        let decoder = try AuditEventDecoder()
        var checksum = 0
        if let mode = ProcessInfo.processInfo.environment["PROFILE_MODE"], mode == "validate" {
            let start = ContinuousClock.now
            for i in 0..<events {
                try messages[i % messages.count].withUnsafeBufferPointer { try decoder.validate($0) }
            }
            print("validate-only: \(format(Double(events) / seconds(ContinuousClock.now - start))) events/s")
        }
        let start = ContinuousClock.now
        for i in 0..<events {
            let event = try decoder.decode(messages[i % messages.count])
            checksum &+= event.eventID.utf8.count
        }
        let rate = Double(events) / seconds(ContinuousClock.now - start)
        print("decode-profile: \(format(rate)) events/s [\(checksum % 7)]")
    }
}

func seconds(_ duration: Duration) -> Double {
    let (s, attos) = duration.components
    return Double(s) + Double(attos) / 1e18
}

func format(_ value: Double) -> String {
    if value >= 100 { return String(Int(value.rounded())) }
    return String(format: "%.2f", value)
}
