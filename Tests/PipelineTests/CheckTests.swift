import Foundation
import Kafka
import Pipeline
import Testing
import Worker

/// `countersign check`'s rules, through the decoder with the live checks
/// (librdkafka judges the Kafka properties; files must be readable): every
/// problem is reported, in line order, each naming file, line and key.
@Suite("check: every problem, named")
struct CheckTests {
    func diagnose(_ text: String, environment: [String: String] = [:]) -> [PipelineFileError] {
        PipelineFile.diagnose(
            text,
            file: "check.yaml",
            environment: environment,
            kinds: SinkKinds.all,
            checks: .live
        ).errors
    }

    /// The one problem at `key`, asserting it names the file and the line.
    func problem(_ errors: [PipelineFileError], key: String, line: Int) -> PipelineFileError? {
        let found = errors.first { $0.key == key }
        #expect(found != nil, "no problem at \(key) in \(errors)")
        #expect(found?.file == "check.yaml")
        #expect(found?.line == line, "\(found.map(String.init(describing:)) ?? "")")
        return found
    }

    @Test("all problems of a file in one run, in line order")
    func allInLineOrder() {
        let text = """
            source:
              kafka:
                bootstrap.servers: 127.0.0.1:9092
                group.id: g
              topics: [mcp.audit]
              dead_letter_topic: dlq
              batch_size: 0
            buffers:
              batches_in_flight: many
            decoder:
              max_depth: 1
            sinks:
              - type: null
                extra: 1
            """
        let errors = diagnose(text)
        #expect(errors.map(\.line) == [7, 9, 11, 14])
        #expect(
            errors.map(\.key) == [
                "source.batch_size", "buffers.batches_in_flight", "decoder.max_depth", "sinks[0].extra",
            ]
        )
        #expect(errors.allSatisfy { $0.file == "check.yaml" })
        let spec = PipelineFile.diagnose(text, file: "check.yaml", environment: [:], kinds: SinkKinds.all).spec
        #expect(spec == nil)
    }

    @Test("a misspelt key says which known key it is close to")
    func didYouMean() {
        let text = minimal.replacingOccurrences(
            of: "  topics:",
            with: "  batch_sise: 10\n  commit_intervall_ms: 5\n  topics:"
        )
        let errors = diagnose(text)
        #expect(
            problem(errors, key: "source.batch_sise", line: 5)?.message == "unknown key; did you mean 'batch_size'?"
        )
        #expect(
            problem(errors, key: "source.commit_intervall_ms", line: 6)?.message
                == "unknown key; did you mean 'commit_interval_ms'?"
        )
        let far = diagnose(minimal.replacingOccurrences(of: "  topics:", with: "  zzz: 1\n  topics:"))
        #expect(problem(far, key: "source.zzz", line: 5)?.message == "unknown key")
        let sink = diagnose(minimal.replacingOccurrences(of: "type: null", with: "type: postgress"))
        #expect(problem(sink, key: "sinks[0].type", line: 8)?.message.hasSuffix("did you mean 'postgres'?") == true)
    }

    @Test("Kafka properties are judged by librdkafka: a misspelt name, a wrong value")
    func kafkaProperties() {
        let text = minimal.replacingOccurrences(
            of: "    group.id: g\n",
            with:
                "    group.id: g\n    sesion.timeout.ms: 6000\n    session.timeout.ms: soon\n    fetch.wait.max.ms: 10\n"
        )
        let errors = diagnose(text)
        #expect(errors.count == 2)
        let name = problem(errors, key: "source.kafka.sesion.timeout.ms", line: 5)
        #expect(name?.message == "librdkafka has no property of this name; did you mean 'session.timeout.ms'?")
        let value = problem(errors, key: "source.kafka.session.timeout.ms", line: 6)
        #expect(value?.message.hasPrefix("librdkafka: ") == true)
    }

    @Test("a secret librdkafka refuses is never quoted")
    func secretValues() {
        let text = minimal.replacingOccurrences(
            of: "    group.id: g\n",
            with: "    group.id: g\n    sasl.mechanisms: hunter2-mechanism\n    ssl.key.password: hunter2-password\n"
        )
        let errors = diagnose(text)
        #expect(errors.allSatisfy { !"\($0)".contains("hunter2") }, "\(errors)")
        let properties = KafkaProperties(["sasl.password": "hunter2-password", "group.id": "g"])
        #expect(properties.redacting("auth failed for hunter2-password at g") == "auth failed for <redacted> at g")
    }

    @Test("files the pipeline names must exist: Kafka's CA, the ledger key, TLS files, the web config")
    func missingFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let present = directory.appendingPathComponent("present.pem").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: present))
        let text = """
            source:
              kafka:
                bootstrap.servers: 127.0.0.1:9092
                group.id: g
                ssl.ca.location: /nonexistent/kafka-ca.pem
                ssl.certificate.location: \(present)
              topics: [mcp.audit]
              dead_letter_topic: dlq
            ledger:
              directory: /tmp/ledger
              key_file: /nonexistent/ledger.key
            metrics:
              web_config_file: /nonexistent/web.yml
            sinks:
              - type: siem
                host: siem.example
                transport: tls
                tls:
                  ca_file: \(present)
                  cert_file: /nonexistent/client.pem
                  key_file: /nonexistent/client.key
            """
        let errors = diagnose(text)
        #expect(errors.count == 5, "\(errors)")
        for (key, line, path) in [
            ("source.kafka.ssl.ca.location", 5, "/nonexistent/kafka-ca.pem"),
            ("ledger.key_file", 11, "/nonexistent/ledger.key"),
            ("metrics.web_config_file", 13, "/nonexistent/web.yml"),
            ("sinks[0].tls.cert_file", 20, "/nonexistent/client.pem"),
            ("sinks[0].tls.key_file", 21, "/nonexistent/client.key"),
        ] {
            #expect(problem(errors, key: key, line: line)?.message == "cannot read '\(path)': no such file")
        }
        // `probe` is librdkafka's keyword for the system's CA store, not a path.
        let probe = diagnose(
            minimal.replacingOccurrences(of: "group.id: g", with: "group.id: g\n    ssl.ca.location: probe")
        )
        #expect(probe.isEmpty, "\(probe)")
    }

    @Test("a dead-letter or alerts topic that is also consumed is a feedback loop")
    func topicLoops() {
        let deadLetter = diagnose(
            minimal.replacingOccurrences(of: "dead_letter_topic: dlq", with: "dead_letter_topic: mcp.audit")
        )
        #expect(
            problem(deadLetter, key: "source.dead_letter_topic", line: 6)?.message.contains("feedback loop") == true
        )
        let alerts = diagnose(minimal + "\ndetectors:\n  alerts_topic: mcp.audit\n")
        #expect(problem(alerts, key: "detectors.alerts_topic", line: 10)?.message.contains("a consumed topic") == true)
        let both = diagnose(minimal + "\ndetectors:\n  alerts_topic: dlq\n")
        #expect(
            problem(both, key: "detectors.alerts_topic", line: 10)?.message.contains("the dead-letter topic") == true
        )
        #expect(diagnose(minimal + "\ndetectors:\n  alerts_topic: mcp.alerts\n").isEmpty)
    }

    @Test(
        "a SIEM host given with a port or as a URL is refused; IPv6 addresses are hosts",
        arguments: [
            ("siem.example:6514", true), ("tcp://siem.example", true), ("[::1]:6514", true), ("siem.example", false),
            ("10.0.0.7", false), ("::1", false), ("fd00::7", false),
        ]
    )
    func siemHost(host: String, refused: Bool) {
        let text = minimal.replacingOccurrences(of: "  - type: null", with: "  - type: siem\n    host: \"\(host)\"")
        let errors = diagnose(text)
        if refused {
            #expect(problem(errors, key: "sinks[0].host", line: 9)?.message.contains("port") == true)
        } else {
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    @Test("log level and format: known names only, with the closest one suggested")
    func logSection() throws {
        let spec = try decode(minimal + "\nlog:\n  level: debug\n  format: json\n")
        #expect(spec.log.level == .debug)
        #expect(spec.log.format == .json)
        let errors = diagnose(minimal + "\nlog:\n  level: warn\n  format: jsonl\n")
        #expect(
            problem(errors, key: "log.format", line: 11)?.message == "expected one of: text, json; did you mean 'json'?"
        )
        #expect(problem(errors, key: "log.level", line: 10)?.message.hasPrefix("expected one of: trace") == true)
    }
}

/// docs/configuration.md is what `check --reference` prints from the decoder.
@Suite("Configuration reference")
struct ConfigurationReferenceTests {
    static let file = pipelinesDirectory.deletingLastPathComponent().appendingPathComponent("docs/configuration.md")

    @Test("every key the decoder reads has a meaning written down")
    func complete() {
        #expect(PipelineReference.undocumented(kinds: SinkKinds.all) == [])
    }

    @Test("docs/configuration.md is up to date (regenerate: countersign check --reference > docs/configuration.md)")
    func inSync() throws {
        let generated = PipelineReference.markdown(kinds: SinkKinds.all)
        let committed = try String(contentsOf: Self.file, encoding: .utf8)
        #expect(committed == generated)
        // The generator really reads the decoder: a key it asks for is there.
        #expect(generated.contains("| `source.batch_size` | integer | `1000` | 1 to 100000 |"))
        #expect(generated.contains("### `type: siem`"))
        #expect(generated.contains("| `tls.ca_file` |"))
    }
}
