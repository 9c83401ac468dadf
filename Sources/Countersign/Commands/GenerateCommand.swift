import ArgumentParser
import Foundation
import TrafficGenerator

/// `countersign generate`: synthetic gateway traffic as JSONL.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write synthetic mcp.audit/1 gateway traffic as JSONL.",
        discussion: """
            Steady traffic from a population of members in tenants, each with favourite \
            tools, realistic result sizes, tool errors and denials. Deterministic: the same \
            seed gives the same bytes.
            """
    )

    @Option(help: "How many events to write.")
    var count: Int = 1000

    @Option(help: "Seed of the traffic; the same seed gives the same events.")
    var seed: UInt64 = 1

    @Option(help: "Number of tenants.")
    var tenants: Int = 4

    @Option(help: "Members per tenant.")
    var membersPerTenant: Int = 50

    @Option(name: .shortAndLong, help: "Output file; '-' writes to standard output.")
    var output: String = "-"

    func validate() throws {
        guard count >= 0 else { throw ValidationError("--count must not be negative") }
        guard tenants > 0, membersPerTenant > 0 else {
            throw ValidationError("--tenants and --members-per-tenant must be positive")
        }
    }

    func run() throws {
        let traffic = SyntheticTraffic(seed: seed, tenants: tenants, membersPerTenant: membersPerTenant)
        let handle: FileHandle
        if output == "-" {
            handle = FileHandle.standardOutput
        } else {
            guard FileManager.default.createFile(atPath: output, contents: nil),
                let file = FileHandle(forWritingAtPath: output)
            else { throw ValidationError("cannot create '\(output)'") }
            handle = file
        }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        for index in 0..<count {
            chunk.append(contentsOf: traffic.message(at: index))
            chunk.append(UInt8(ascii: "\n"))
            if chunk.count >= 1 << 20 {
                try handle.write(contentsOf: chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: chunk)
        if output != "-" { try handle.close() }
    }
}
