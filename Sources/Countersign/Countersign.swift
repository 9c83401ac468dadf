import ArgumentParser

/// The release (CHANGELOG.md); the commit comes from the BuildCommit plugin.
let countersignVersion = "0.2.0-dev"

/// The `countersign` command line: thin commands over the library modules.
@main
struct Countersign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "countersign",
        abstract: "Audit-stream worker for MCP gateways: detection, SIEM, hot store and a verifiable ledger.",
        discussion: """
            Countersign consumes mcp.audit/1 events (one JSON object per Kafka message), \
            flags anomalous tool use per member, per tool and per member x tool, and fans \
            events out to PostgreSQL, syslog/CEF, Prometheus and a Merkle-tree ledger.
            """,
        version: "\(countersignVersion) (commit \(buildCommit))",
        subcommands: [
            RunCommand.self, CheckCommand.self, ValidateCommand.self, DecodeCommand.self, GenerateCommand.self,
            DetectCommand.self, ReplayCommand.self,
            ScoreCommand.self, MigrateCommand.self, LedgerCommand.self,
            DevBrokerCommand.self,
        ]
    )
}
