// swift-tools-version:6.0
import PackageDescription

// Targets follow the data flow: C system libraries at the bottom, the pure event
// model above them, the decoder that binds the two, and the command line on top.
let package = Package(
    name: "countersign",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "countersign", targets: ["Countersign"]),
        .library(name: "AuditEvent", targets: ["AuditEvent"]),
        .library(name: "AuditDecoder", targets: ["AuditDecoder"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // System libraries: a module map and a shim header each.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // A small C API over simdjson's C++ DOM parser.
        .target(
            name: "CSimdjson",
            cxxSettings: [.define("NDEBUG", .when(configuration: .release))],
            linkerSettings: [.linkedLibrary("simdjson"), .linkedLibrary("stdc++")]
        ),

        // The mcp.audit/1 event model: values, validation rules, errors, JSON text. Pure.
        .target(name: "AuditEvent"),
        // Raw message bytes to AuditEvent, through simdjson.
        .target(name: "AuditDecoder", dependencies: ["AuditEvent", "CSimdjson"]),
        // OTLP logs messages, generated once from Protos/ by `make protos` (swift-protobuf).
        .target(
            name: "OTLPProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")]
        ),
        // What real gateways emit (OTLP logs, Hangar's JSON lines, CEF, ContextForge's log) mapped
        // to mcp.audit/1 events. Pure: bytes in, events and per-record failures out.
        .target(
            name: "GatewayFormats",
            dependencies: [
                "AuditEvent", "AuditDecoder", "COpenSSL", "Ledger", "OTLPProto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        // Synthetic gateway traffic for benchmarks, fuzz seeds and the demo. Pure.
        .target(name: "TrafficGenerator", dependencies: ["AuditEvent"]),

        // Detection: windows, baselines, detectors, alerts, snapshots; pure Swift, event time only.
        .target(name: "Detection", dependencies: ["AuditEvent"]),
        // Log records as text or JSON lines (swift-log handler); every command's one logging set-up.
        .target(name: "Logs", dependencies: [.product(name: "Logging", package: "swift-log")]),
        // Pipeline files, the sink protocol, offset tracking: values, no I/O.
        .target(
            name: "Pipeline",
            dependencies: [
                "AuditEvent", "Detection", "GatewayFormats", "Logs", "Yams",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // librdkafka: consumer, producer, mock cluster (the dev broker); the only module that links it.
        // A serial queue for blocking C calls, shared by every module that owns a C handle, and the
        // POSIX file writes every durable store shares.
        .target(name: "Blocking"),

        .target(
            name: "Kafka",
            dependencies: ["CRdKafka", "Blocking", .product(name: "Logging", package: "swift-log")]
        ),
        // The PostgreSQL hot tier: events and alerts, day partitions, COPY, retention.
        .target(
            name: "PostgresSink",
            dependencies: [
                "AuditEvent", "Blocking", "CLibPQ", "Detection", "Pipeline",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The SIEM output: CEF encoding and syslog framing (pure), UDP, TCP and TLS transports,
        // the on-disk spool, the sink.
        .target(
            name: "SIEM",
            dependencies: [
                "AuditEvent", "Blocking", "COpenSSL", "Detection", "Pipeline",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The cold ledger: RFC 9162 tree in C2SP tiles, signed checkpoints, proofs, verification.
        .target(
            name: "Ledger",
            dependencies: ["Blocking", "COpenSSL", .product(name: "DequeModule", package: "swift-collections")]
        ),

        // The ledger's objects in an S3 bucket with Object Lock, through libcurl's SigV4.
        .target(name: "ObjectStorage", dependencies: ["CCurl", "COpenSSL", "Ledger"]),

        // Metrics: the typed catalogue, bounded labels, the pipeline's instruments (swift-prometheus).
        .target(
            name: "Telemetry",
            dependencies: [
                "AuditEvent", "Detection", "Pipeline",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The HTTP endpoint: /metrics, /healthz, /readyz (Hummingbird), web-config basic auth.
        .target(
            name: "MetricsEndpoint",
            dependencies: [
                "Telemetry", "Yams",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),

        // The worker: Kafka source, decoding, dead letters, sinks and commits, wired as services.
        .target(
            name: "Worker",
            dependencies: [
                "AuditDecoder", "AuditEvent", "Blocking", "GatewayFormats", "Kafka", "Ledger", "Pipeline",
                "PostgresSink", "SIEM", "Telemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),

        // The command line: thin commands over the modules above.
        .executableTarget(
            name: "Countersign",
            dependencies: [
                "AuditEvent", "AuditDecoder", "Blocking", "Detection", "TrafficGenerator", "Kafka", "Pipeline",
                "PostgresSink",
                "GatewayFormats", "Ledger", "ObjectStorage", "Logs", "MetricsEndpoint", "SIEM", "Telemetry", "Worker",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // Pipeline imports Yams internally; its clients must still find the module.
                .product(name: "Yams", package: "Yams"),
            ],
            plugins: ["BuildCommit"]
        ),
        // `countersign --version` names the git commit it was built from.
        .plugin(name: "BuildCommit", capability: .buildTool()),
        // `make bench`: throughput figures against the peers named in the issues.
        .executableTarget(
            name: "CountersignBench",
            dependencies: [
                "AuditEvent", "AuditDecoder", "Blocking", "Detection", "TrafficGenerator", "Kafka", "Pipeline",
                "PostgresSink",
                "GatewayFormats", "OTLPProto", "Ledger", "MetricsEndpoint", "SIEM", "Telemetry", "Worker",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),

        // What the test targets share: running the real tools they check against.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "AuditEventTests", dependencies: ["AuditEvent"]),
        .testTarget(
            name: "AuditDecoderTests",
            dependencies: ["AuditDecoder", "AuditEvent", "TrafficGenerator"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "SystemLibrariesTests", dependencies: ["CRdKafka", "CLibPQ", "COpenSSL"]),
        .testTarget(name: "KafkaTests", dependencies: ["Kafka", "TestSupport"]),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "PostgresSink", "SIEM", "Worker", "Logs", "Kafka"]
        ),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "ObjectStorage"]),
        .testTarget(
            name: "GatewayFormatsTests",
            dependencies: [
                "GatewayFormats", "AuditEvent", "OTLPProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TelemetryTests",
            dependencies: [
                "Telemetry", "MetricsEndpoint", "AuditEvent", "Detection", "Pipeline", "TestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
            ],
            // Read by path from the test, not a bundle resource.
            exclude: ["golden.prom"]
        ),
        .testTarget(
            name: "SIEMTests",
            dependencies: ["SIEM", "AuditEvent", "AuditDecoder", "Detection", "Pipeline", "TestSupport"]
        ),
        .testTarget(
            name: "PostgresSinkTests",
            dependencies: [
                "Blocking", "PostgresSink", "Pipeline", "AuditEvent", "AuditDecoder", "Detection", "TrafficGenerator",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "DetectionTests",
            dependencies: ["Detection", "AuditEvent", "AuditDecoder", "TrafficGenerator"]
        ),
        .testTarget(name: "TrafficGeneratorTests", dependencies: ["TrafficGenerator", "AuditDecoder", "AuditEvent"]),
        // Drives the built `countersign` binary against the harness's servers.
        .testTarget(name: "EndToEndTests", dependencies: ["Kafka", "Ledger", "ObjectStorage", "TestSupport"]),
        .testTarget(
            name: "WorkerTests",
            dependencies: [
                "Worker", "AuditDecoder", "Detection", "Kafka", "Ledger", "Pipeline", "AuditEvent", "TrafficGenerator",
                "TestSupport",
            ]
        ),
    ],
    cxxLanguageStandard: .cxx17
)
