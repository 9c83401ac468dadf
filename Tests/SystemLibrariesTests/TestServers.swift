import Foundation
import Testing

/// How tests find the real servers the harness (scripts/harness.sh) starts.
///
/// With `CI=true` a server that is not configured fails its tests; elsewhere
/// they are skipped, so `swift test` alone still runs the pure suites.
enum TestServers {
    static let environment = ProcessInfo.processInfo.environment

    static var isCI: Bool { environment["CI"] == "true" }

    /// libpq connection string of the throwaway PostgreSQL server.
    static var postgres: String? { environment["COUNTERSIGN_TEST_PG"] }

    /// Run a server-backed test when its server is configured, or always in CI.
    static func required(_ value: String?) -> Bool { value != nil || isCI }
}
