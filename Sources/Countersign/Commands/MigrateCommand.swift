import ArgumentParser
import Foundation
import Pipeline
import PostgresSink
import Worker

/// `countersign migrate`: applies the hot tier's schema migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the PostgreSQL schema migrations (the worker also applies them at start).",
        discussion: """
            Connects with the `postgres` sink's conninfo from --pipeline, or with --conninfo, \
            or with the PG* environment variables alone. Safe to run while workers start: an \
            advisory lock makes every migration run once.
            """
    )

    @Option(help: "A pipeline file with a postgres sink.")
    var pipeline: String?

    @Option(help: "A libpq connection string (overrides the pipeline file's).")
    var conninfo: String?

    func run() async throws {
        var target = conninfo ?? ""
        if conninfo == nil, let pipeline {
            let spec = try PipelineLoading.load(pipeline, checks: .none)
            for case let postgres as PostgresSettings in spec.sinks.map(\.settings) { target = postgres.conninfo }
        }
        do {
            let connection = try await PostgresConnection.connect(target)
            let applied = try await Schema.migrate(connection)
            let latest = Schema.migrations.last?.version ?? 0
            print(
                applied.isEmpty ? "migrate: schema at version \(latest), nothing to do" : "migrate: applied \(applied)"
            )
        } catch {
            throw CommandError("\(error)")
        }
    }
}
