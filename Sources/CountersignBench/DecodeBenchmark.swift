import AuditDecoder
import AuditEvent
import Foundation
import TrafficGenerator

/// Decodes the same generated messages with the simdjson decoder and with
/// Foundation's JSONDecoder, on one core, and prints both rates and their ratio.
///
/// Messages are produced in batches and decoded right away, as a consumer
/// decodes a batch it has just copied out of librdkafka; only decoding is
/// timed (for JSONDecoder, from `Data`; the copy into `Data` is not timed).
/// A second figure decodes the contract's richest sample event.
struct DecodeBenchmark {
    var events: Int
    var peerEvents: Int
    var batchSize = 1_000

    func run() throws {
        let traffic = SyntheticTraffic(seed: 42)
        let decoder = try AuditEventDecoder()
        let peer = makeFoundationDecoder()
        var checksum = 0
        print("decode: \(events) generated events (seed 42), in batches of \(batchSize)")
        // The two decoders run in separate phases over the same bytes (the
        // generator is deterministic): interleaved, JSONDecoder's allocations
        // would cool the caches and fragment the heap the other one runs in.
        let ours = try measure(events, traffic) { batch in
            for message in batch {
                let event = try decoder.decode(message)
                checksum &+= event.eventID.utf8.count &+ Int(event.outcome.resultBytes ?? 0)
            }
        }
        let theirs = try measure(peerEvents, traffic) { batch in
            for message in batch.map({ Data($0) }) {
                let event = try peer.decode(FoundationAuditEvent.self, from: message)
                checksum &+= event.event_id.utf8.count &+ Int(event.outcome.result_bytes ?? 0)
            }
        }
        print("decode: mean event size \(ours.bytes / max(ours.count, 1)) bytes")
        print("decode: simdjson decoder        \(ours.report)")
        print("decode: Foundation JSONDecoder  \(theirs.report)")
        print("decode: ratio simdjson/JSONDecoder = \(format(ours.rate / theirs.rate))x")
        try richSample(decoder: decoder, peer: peer, checksum: &checksum)
        print("decode: [checksum \(checksum % 997)]")
    }

    /// Generates `count` messages batch by batch and times `decode` on each batch only.
    private func measure(
        _ count: Int,
        _ traffic: SyntheticTraffic,
        _ decode: ([[UInt8]]) throws -> Void
    ) throws -> Measurement {
        var result = Measurement()
        var start = 0
        while start < count {
            let size = min(batchSize, count - start)
            let batch = (start..<(start + size)).map { traffic.message(at: $0) }
            result.bytes += batch.reduce(0) { $0 + $1.count }
            result.count += size
            let began = ContinuousClock.now
            try decode(batch)
            result.seconds += seconds(ContinuousClock.now - began)
            start += size
        }
        return result
    }

    /// The contract's first sample (every common field present), decoded over and over.
    private func richSample(decoder: AuditEventDecoder, peer: JSONDecoder, checksum: inout Int) throws {
        let sample = Array(richSampleText.utf8)
        let repeats = max(events / 4, 1)
        let began = ContinuousClock.now
        for _ in 0..<repeats { checksum &+= try decoder.decode(sample).eventID.utf8.count }
        let ours = Double(repeats) / seconds(ContinuousClock.now - began)
        let data = Data(sample)
        let peerRepeats = max(min(peerEvents, repeats) / 4, 1)
        let peerBegan = ContinuousClock.now
        for _ in 0..<peerRepeats {
            checksum &+= try peer.decode(FoundationAuditEvent.self, from: data).event_id.utf8.count
        }
        let theirs = Double(peerRepeats) / seconds(ContinuousClock.now - peerBegan)
        print(
            "decode: contract sample (\(sample.count) bytes): simdjson \(format(ours)) events/s, "
                + "JSONDecoder \(format(theirs)) events/s, ratio \(format(ours / theirs))x"
        )
    }

    /// Decodes 2,000 distinct messages over and over: a steady loop for `perf` and callgrind.
    func profileLoop() throws {
        let traffic = SyntheticTraffic(seed: 42)
        let messages = (0..<2000).map { traffic.message(at: $0) }
        let decoder = try AuditEventDecoder()
        var checksum = 0
        let start = ContinuousClock.now
        for i in 0..<events {
            let event = try decoder.decode(messages[i % messages.count])
            checksum &+= event.eventID.utf8.count
        }
        let rate = Double(events) / seconds(ContinuousClock.now - start)
        print("decode-profile: \(format(rate)) events/s [\(checksum % 7)]")
    }
}

/// Events decoded, bytes and time spent, for one decoder.
struct Measurement {
    var count = 0
    var bytes = 0
    var seconds = 0.0

    var rate: Double { Double(count) / max(seconds, 1e-9) }

    var report: String {
        "\(format(rate)) events/s  (\(count) events in \(format(seconds)) s)"
    }
}

/// The first sample event of the mcp.audit/1 contract.
let richSampleText =
    #"{"schema":"mcp.audit/1","event_id":"7f0c2a3e-1d3b-4f7e-9a51-2b8c0d6a1e44","event_kind":"tool_call","phase":"final","occurred_at":"2026-08-20T10:15:02.481Z","duration_ms":142.7,"source":{"gateway":"mcp-hangar","version":"2.13.0","instance_id":"hangar-7d9f"},"tenant_id":"acme","actor":{"id":"alice@acme.com","type":"user","agent_id":"claude-desktop"},"session":{"id":"s-1f2e"},"target":{"server_id":"github","method":"tools/call","tool":"create_issue"},"request":{"args_sha256":"3b1f0c9e6a7d4b2f8e1c5a9d3f7b2e6c4a8d1f5b9e3c7a2d6f0b4e8c1a5d9f3b","arg_keys":["repo","title","body"],"args_bytes":412},"outcome":{"status":"success","result_bytes":2311}}"#

func seconds(_ duration: Duration) -> Double {
    let (s, attos) = duration.components
    return Double(s) + Double(attos) / 1e18
}

func format(_ value: Double) -> String {
    if value >= 100 { return String(Int(value.rounded())) }
    return String(format: "%.2f", value)
}
