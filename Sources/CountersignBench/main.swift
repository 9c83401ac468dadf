import Foundation

// `countersign-bench [decode] [--events N] [--peer-events N]`: throughput figures for BENCHMARKS.md.
var arguments = Array(CommandLine.arguments.dropFirst())
var events = 1_000_000
var peerEvents = 1_000_000
var suites: [String] = []
while let argument = arguments.first {
    arguments.removeFirst()
    switch argument {
    case "--events": events = Int(arguments.removeFirst()) ?? events
    case "--peer-events": peerEvents = Int(arguments.removeFirst()) ?? peerEvents
    case "-h", "--help":
        print(
            """
            usage: CountersignBench [decode | decode-profile | decode-otlp | consume | stall | detect | state | postgres | siem | ledger | metrics | eval] [--events N] [--peer-events N]
              decode          the simdjson decoder and Foundation's JSONDecoder on the same messages
              decode-profile  a steady decode loop over 2,000 messages, for perf and callgrind
              decode-otlp     the otlp format (protobuf and OTLP/JSON) against the mcp.audit/1 decoder, same events
              consume         the worker's source (decode, null sink) and kcat on the same topic
              stall           resident memory while a sink refuses every batch for 10 s, then recovers
              detect          decode + detection, 100,000 members and 50 tools; memory with 1M member x tool keys
              state           detection state at 1M member x tool keys: snapshot size, save and load (directory, PostgreSQL)
              postgres        the PostgreSQL sink and psql \\copy of the same rows (needs COUNTERSIGN_TEST_PG)
              siem            CEF encoding + syslog framing + TCP and UDP sends to a loopback receiver
              ledger          durable ledger appends of 440-byte events; SHA-256 and fsync rates of this host
              metrics         the source with and without metrics, /metrics scraped every 100 ms under full load
              eval            generated scenarios through `countersign detect`: precision, recall, F1
            """
        )
        exit(0)
    default: suites.append(argument)
    }
}
if suites.isEmpty { suites = ["decode"] }
for suite in suites {
    switch suite {
    case "decode": try DecodeBenchmark(events: events, peerEvents: min(peerEvents, events)).run()
    case "decode-profile": try DecodeBenchmark(events: events, peerEvents: 0).profileLoop()
    case "decode-otlp": try OTLPDecodeBenchmark(events: min(events, 200_000)).run()
    case "consume": try await ConsumeBenchmark(events: events).run()
    case "stall": try await StallBenchmark(events: events).run()
    case "detect": try DetectBenchmark(events: events).run()
    case "state": try StateStoreBenchmark().run()
    case "postgres": try await PostgresBenchmark(events: events).run()
    case "siem": try await SIEMBenchmark(messages: events).run()
    case "ledger": try LedgerBenchmark(events: events).run()
    case "metrics": try await MetricsBenchmark(events: events).run()
    case "eval":
        let binary = ProcessInfo.processInfo.environment["COUNTERSIGN_BIN"] ?? ".build/release/countersign"
        try Evaluation(countersign: binary).run()
    default:
        print("unknown benchmark '\(suite)'")
        exit(2)
    }
}
