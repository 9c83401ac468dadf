import AuditDecoder
import AuditEvent
import Foundation
import GatewayFormats
import OTLPProto
import SwiftProtobuf
import TrafficGenerator

/// The `otlp` format against the mcp.audit/1 decoder on the same events, on
/// one core: generated events are written once as mcp.audit/1 JSON (one per
/// message) and once as OTLP log records with the OpenTelemetry MCP and
/// MCP Hangar attribute names, `recordsPerMessage` to an export request, in
/// protobuf and in OTLP/JSON. Only decoding (bytes to mapped, validated
/// events, id and canonical raw included) is timed.
struct OTLPDecodeBenchmark {
    var events: Int
    var recordsPerMessage = 50

    typealias Request = Opentelemetry_Proto_Collector_Logs_V1_ExportLogsServiceRequest

    func run() throws {
        let traffic = SyntheticTraffic(seed: 42)
        let json = (0..<events).map { traffic.message(at: $0) }
        let decoder = try AuditEventDecoder()
        let source = try json.map { try decoder.decode($0) }
        var proto: [[UInt8]] = []
        var otlpJSON: [[UInt8]] = []
        var start = 0
        while start < source.count {
            let end = min(source.count, start + recordsPerMessage)
            let request = Self.request(source[start..<end])
            proto.append(try request.serializedBytes())
            otlpJSON.append(Array(try request.jsonUTF8Data()))
            start = end
        }
        print(
            "decode-otlp: \(events) generated events; mcp.audit/1 one per message, OTLP \(recordsPerMessage) records per export request"
        )
        print(
            "decode-otlp: mean bytes per event: mcp.audit/1 \(json.reduce(0) { $0 + $1.count } / events), otlp protobuf \(proto.reduce(0) { $0 + $1.count } / events), otlp json \(otlpJSON.reduce(0) { $0 + $1.count } / events)"
        )
        let gateway = try GatewayDecoder(format: .otlp, mapping: .builtIn(for: .otlp))
        var checksum = 0
        let baseline = time(json) { message in
            let event = try decoder.decode(message)
            checksum &+= event.actor.id.utf8.count
            return 1
        }
        let fromProto = time(proto) { message in
            let decoded = try gateway.decode(message)
            checksum &+= decoded.events.last?.actor.id.utf8.count ?? 0
            return decoded.events.count
        }
        let fromJSON = time(otlpJSON) { message in
            let decoded = try gateway.decode(message)
            checksum &+= decoded.events.last?.actor.id.utf8.count ?? 0
            return decoded.events.count
        }
        let parseOnly = time(proto) { message in
            let request = try Request(serializedBytes: message)
            return request.resourceLogs.reduce(0) { $0 + $1.scopeLogs.reduce(0) { $0 + $1.logRecords.count } }
        }
        print("decode-otlp: mcp.audit/1 (simdjson)   \(baseline.report)")
        print("decode-otlp: protobuf parse alone    \(parseOnly.report)")
        print("decode-otlp: otlp protobuf           \(fromProto.report)")
        print("decode-otlp: otlp json               \(fromJSON.report)")
        print(
            "decode-otlp: ratios to mcp.audit/1: protobuf \(format(fromProto.rate / baseline.rate))x, json \(format(fromJSON.rate / baseline.rate))x"
        )
        print("decode-otlp: [checksum \(checksum % 997)]")
    }

    private func time(_ messages: [[UInt8]], _ decode: ([UInt8]) throws -> Int) -> Measurement {
        var result = Measurement()
        let began = ContinuousClock.now
        for message in messages {
            result.bytes += message.count
            result.count += (try? decode(message)) ?? 0
        }
        result.seconds = seconds(ContinuousClock.now - began)
        return result
    }

    /// One export request holding the events as Hangar-style log records.
    static func request(_ events: ArraySlice<AuditEvent>) -> Request {
        var scope = Opentelemetry_Proto_Logs_V1_ScopeLogs()
        scope.scope.name = "mcp_hangar.audit"
        for event in events {
            var record = Opentelemetry_Proto_Logs_V1_LogRecord()
            record.timeUnixNano = UInt64(event.occurredAt.microsecondsSinceEpoch) * 1_000
            record.observedTimeUnixNano = record.timeUnixNano
            record.severityNumber = .info
            record.body.stringValue = "tool_invocation"
            var attributes: [(String, String)] = [
                ("mcp.event.name", "tool_invocation"), ("mcp.method.name", event.target.method ?? "tools/call"),
                ("gen_ai.tool.name", event.target.tool ?? "unknown"), ("mcp.server.id", event.target.serverID ?? "-"),
                ("mcp.tool.status", event.outcome.status == .toolError ? "error" : event.outcome.status.rawValue),
                ("mcp.user.id", event.actor.id), ("mcp.caller.type", event.actor.type?.rawValue ?? "user"),
            ]
            if let tenant = event.tenantID { attributes.append(("mcp.caller.tenant_id", tenant)) }
            if let session = event.session.id { attributes.append(("mcp.session.id", session)) }
            record.attributes = attributes.map { key, value in
                var pair = Opentelemetry_Proto_Common_V1_KeyValue()
                pair.key = key
                pair.value.stringValue = value
                return pair
            }
            if let duration = event.durationMs {
                var pair = Opentelemetry_Proto_Common_V1_KeyValue()
                pair.key = "mcp.tool.duration_ms"
                pair.value.doubleValue = duration
                record.attributes.append(pair)
            }
            if let bytes = event.outcome.resultBytes {
                var pair = Opentelemetry_Proto_Common_V1_KeyValue()
                pair.key = "mcp.tool.result_size_bytes"
                pair.value.intValue = bytes
                record.attributes.append(pair)
            }
            scope.logRecords.append(record)
        }
        var resourceLogs = Opentelemetry_Proto_Logs_V1_ResourceLogs()
        for (key, value) in [
            ("service.name", "mcp-hangar"), ("service.version", "2.34.4"), ("service.instance.id", "vm-1"),
        ] {
            var pair = Opentelemetry_Proto_Common_V1_KeyValue()
            pair.key = key
            pair.value.stringValue = value
            resourceLogs.resource.attributes.append(pair)
        }
        resourceLogs.scopeLogs = [scope]
        var request = Request()
        request.resourceLogs = [resourceLogs]
        return request
    }
}
