import Foundation
import Pipeline
import Testing
import Worker

/// The repository's Pipelines/ folder.
let pipelinesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Pipelines")

let pipelineFiles: [String] = {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: pipelinesDirectory.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
}()

let minimal = """
    source:
      kafka:
        bootstrap.servers: 127.0.0.1:9092
        group.id: g
      topics: [mcp.audit]
      dead_letter_topic: dlq
    sinks:
      - type: null
    """

func decode(_ text: String, environment: [String: String] = [:]) throws(PipelineFileError) -> PipelineSpec {
    try PipelineFile.decode(text, file: "test.yaml", environment: environment, kinds: SinkKinds.all)
}

@Suite("Pipeline files")
struct PipelineFileTests {
    @Test("Pipelines/ holds pipeline files")
    func folderIsNotEmpty() {
        #expect(pipelineFiles.count >= 2)
    }

    @Test("every file in Pipelines/ decodes and validates", arguments: pipelineFiles)
    func repositoryFile(name: String) throws {
        let text = try String(contentsOf: pipelinesDirectory.appendingPathComponent(name), encoding: .utf8)
        let spec = try PipelineFile.decode(text, file: "Pipelines/\(name)", environment: [:], kinds: SinkKinds.all)
        #expect(!spec.sinks.isEmpty)
        #expect(spec.source.kafka["group.id"] != nil)
    }

    @Test("the source formats a file may name are the ones the worker decodes; an unknown one is named")
    func formats() throws {
        #expect(PipelineFile.knownFormats == MessageFormats.names)
        #expect(try decode(minimal).source.format == MCPAuditFormat.name)
        let text = minimal.replacingOccurrences(of: "source:\n", with: "source:\n  format: otlp/9\n")
        let error = #expect(throws: PipelineFileError.self) { try decode(text) }
        #expect(error?.key == "source.format")
    }

    @Test("every sink may say whether it gates commits and what a full queue does")
    func sinkPolicies() throws {
        let spec = try decode(
            minimal.replacingOccurrences(
                of: "  - type: null",
                with: "  - type: null\n  - type: summary\n    required: false\n    when_full: skip"
            )
        )
        let policies = zip(spec.sinks, ["null", "summary"]).map { $0.policy(name: $1, capacity: 4) }
        #expect(policies[0] == SinkPolicy(name: "null", capacity: 4))
        #expect(policies[1] == SinkPolicy(name: "summary", capacity: 4, whenFull: .skip, required: false))
        let lossy = minimal.replacingOccurrences(of: "  - type: null", with: "  - type: null\n    when_full: skip")
        let error = #expect(throws: PipelineFileError.self) { try decode(lossy) }
        #expect(error?.key == "sinks[0].when_full")
        #expect(error?.message == "`skip` loses batches; it needs `required: false`")
    }

    @Test("defaults fill what a minimal file leaves out")
    func defaults() throws {
        let spec = try decode(minimal)
        #expect(spec.source.batchSize == 1_000)
        #expect(spec.buffers == PipelineSpec.Buffers(inFlightPerPartition: 100_000, whenFull: .pause))
        #expect(spec.decoder == PipelineSpec.Decoder(maxMessageBytes: 1 << 20, maxDepth: 64))
        #expect(spec.sinks.map(\.type) == ["null"])
    }

    @Test("environment variables are interpolated, with defaults and $$")
    func interpolation() throws {
        let text = minimal.replacingOccurrences(
            of: "127.0.0.1:9092",
            with: "${BROKER}"
        ).replacingOccurrences(of: "group.id: g", with: "group.id: ${GROUP:-fallback}-$$x")
        let spec = try decode(text, environment: ["BROKER": "b:1"])
        #expect(spec.source.kafka["bootstrap.servers"] == "b:1")
        #expect(spec.source.kafka["group.id"] == "fallback-$x")
    }

    @Test(
        "errors name the file, the line and the key",
        arguments: [
            (
                minimal.replacingOccurrences(of: "dead_letter_topic", with: "dead_letter_topc"), 6,
                "source.dead_letter_topc", "unknown key; did you mean 'dead_letter_topic'?"
            ),
            (minimal + "\nbatch: 3", 9, "batch", "unknown key"),
            (
                minimal.replacingOccurrences(of: "  topics:", with: "  batch_size: many\n  topics:"), 5,
                "source.batch_size", "expected a whole number"
            ),
            (
                minimal.replacingOccurrences(of: "  topics:", with: "  batch_size: 0\n  topics:"), 5,
                "source.batch_size", "must be between 1 and 100000"
            ),
            (
                minimal.replacingOccurrences(of: "type: null", with: "type: postgres-ish"), 8, "sinks[0].type",
                "expected one of: null, summary, jsonl, postgres, siem"
            ),
            (minimal.replacingOccurrences(of: "    group.id: g\n", with: ""), 2, "source.kafka.group.id", "required"),
            (
                minimal.replacingOccurrences(of: "127.0.0.1:9092", with: "${NOT_SET_ANYWHERE}"), 3,
                "source.kafka.bootstrap.servers", "environment variable NOT_SET_ANYWHERE is not set and has no default"
            ),
            (
                minimal.replacingOccurrences(of: "group.id: g", with: "group.id: g\n    group.id: h"), 4, "group.id",
                "appears twice"
            ),
            (
                minimal.replacingOccurrences(of: "[mcp.audit]", with: "[]"), 5, "source.topics",
                "needs at least one topic"
            ),
        ] as [(String, Int, String, String)]
    )
    func errors(text: String, line: Int, key: String, message: String) {
        let error = #expect(throws: PipelineFileError.self) { try decode(text) }
        #expect(error?.line == line)
        #expect(error?.key == key)
        #expect(error?.message == message)
        #expect(error?.description == "test.yaml:\(line): \(key): \(message)")
    }

    @Test("a value is never quoted in an error")
    func secretsStayOut() {
        let text = minimal.replacingOccurrences(
            of: "group.id: g",
            with: "group.id: g\n    sasl.password: hunter2\n    sasl.password: hunter3"
        )
        let error = #expect(throws: PipelineFileError.self) { try decode(text) }
        #expect(error.map { !"\($0)".contains("hunter") } == true)
        let wrong = minimal.replacingOccurrences(of: "  topics:", with: "  batch_size: s3cr3t\n  topics:")
        let other = #expect(throws: PipelineFileError.self) { try decode(wrong) }
        #expect(other.map { !"\($0)".contains("s3cr3t") } == true)
    }

    @Test("not YAML, and an empty file, are errors too")
    func notYAML() {
        #expect(throws: PipelineFileError.self) { try decode("source: [unclosed") }
        #expect(throws: PipelineFileError.self) { try decode("") }
        #expect(throws: PipelineFileError.self) { try decode("- a\n- b") }
    }
}
