import Foundation
import Testing

@testable import Ledger
@testable import ObjectStorage

/// The ledger on real S3-compatible storage with Object Lock: Ceph's
/// radosgw, started by scripts/harness.sh (COUNTERSIGN_TEST_S3_*). With
/// CI=true a missing server fails these tests.
@Suite(
    "Ledger on radosgw (S3 with Object Lock)",
    .enabled(if: RadosGW.enabled, "needs COUNTERSIGN_TEST_S3_ENDPOINT (scripts/harness.sh starts radosgw)")
)
struct ObjectStorageTests {
    @Test(
        "a retained object is never deleted or replaced: a second create is refused, deletes and shorter retention are refused"
    )
    func worm() throws {
        let client = try RadosGW.client(bucket: RadosGW.bucketName(), prefix: "")
        try S3Bucket.create(client, retentionDays: 1)
        try S3Bucket.checkWORM(client, minimumDays: 1)
        #expect(throws: S3Error.self) { try S3Bucket.checkWORM(client, minimumDays: 30) }
        let storage = S3Storage(client: client)
        #expect(try storage.create("tile/0/000", [1, 2, 3]) == .created)
        #expect(try storage.create("tile/0/000", [9, 9]) == .exists)
        #expect(try storage.read("tile/0/000") == [1, 2, 3])
        #expect(try storage.exists("tile/0/000"))
        #expect(try storage.read("tile/0/001") == nil)
        #expect(try !storage.exists("tile/0/001"))
        #expect(throws: LedgerError.self) { try storage.createIdempotently([("tile/0/000", [9])]) }

        // What our code never does, tried here: the server must refuse it.
        let versions = try client.request("GET", key: nil, query: [("prefix", "tile/0/000"), ("versions", "")])
        // The object is its first version (the listing runs newest first; the refused creates stacked theirs).
        let listed = S3XML.values(of: "VersionId", in: versions.body)
        #expect(listed.count == 3)  // ours, then the two refused creates above
        let version = try #require(listed.last)
        let delete = try client.request("DELETE", key: "tile/0/000", query: [("versionId", version)])
        #expect(delete.status == 403, "deleting a retained version: \(S3Client.errorCode(delete))")
        let shorten = Array(
            "<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2020-01-01T00:00:00Z</RetainUntilDate></Retention>".utf8
        )
        let shortened = try client.request(
            "PUT",
            key: "tile/0/000",
            query: [("retention", ""), ("versionId", version)],
            headers: ["Content-MD5: \(Data(Insecure.md5(shorten)).base64EncodedString())"],
            body: shorten
        )
        #expect(shortened.status >= 400, "shortening a COMPLIANCE retention: \(S3Client.errorCode(shortened))")
        // An unconditional PUT stacks a new version; the retained one is still there, unchanged.
        let overwrite = try client.request("PUT", key: "tile/0/000", body: [7])
        #expect(overwrite.status == 200)
        let old = try client.request("GET", key: "tile/0/000", query: [("versionId", version)])
        #expect(old.status == 200 && old.body == [1, 2, 3])
        // ...and what the ledger reads is still the first version.
        #expect(try storage.read("tile/0/000") == [1, 2, 3])
    }

    @Test("eight writers racing to create one name: exactly one wins, and everyone reads its bytes")
    func race() throws {
        let bucket = RadosGW.bucketName()
        try S3Bucket.create(try RadosGW.client(bucket: bucket, prefix: ""), retentionDays: 1)
        for round in 0..<5 {
            let name = "commit/\(round)"
            let storages = try (0..<8).map { _ in S3Storage(client: try RadosGW.client(bucket: bucket, prefix: "")) }
            let outcomes = Outcomes()
            DispatchQueue.concurrentPerform(iterations: 8) { writer in
                outcomes.add(writer, Result { try storages[writer].create(name, [UInt8(writer)]) })
            }
            let results = outcomes.all
            let winners = results.filter { (try? $0.value.get()) == .created }.map(\.key)
            #expect(winners.count == 1, "round \(round): \(results.mapValues { "\($0)" })")
            for storage in storages { #expect(try storage.read(name) == winners.map { UInt8($0) }) }
        }
    }

    @Test("a bucket without Object Lock is refused")
    func notWORM() throws {
        let client = try RadosGW.client(bucket: RadosGW.bucketName(), prefix: "")
        let made = try client.request("PUT", key: nil, body: [])
        #expect(made.status == 200)
        do {
            try S3Bucket.checkWORM(client, minimumDays: 1)
            Issue.record("a bucket without Object Lock was accepted")
        } catch {
            #expect(error.description.contains("not versioned") || error.description.contains("no default"))
        }
    }

    @Test("the next owner continues a log in the bucket; the old one is fenced and adds nothing")
    func fencing() throws {
        try LogOwnershipScenarios.continuationAndFencing(try RadosGW.storage())
    }

    @Test("the organisation checkpoint over the bucket's logs verifies")
    func organisation() throws {
        let storage = try RadosGW.storage()
        let written = try LogOwnershipScenarios.organisation(storage)
        #expect(written.seq == 1)
        #expect(try storage.exists("org/" + String(repeating: "0", count: 19) + "1"))
    }
}

final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Int: Result<CreateOutcome, any Error>] = [:]
    func add(_ writer: Int, _ result: Result<CreateOutcome, any Error>) { lock.withLock { results[writer] = result } }
    var all: [Int: Result<CreateOutcome, any Error>] { lock.withLock { results } }
}

enum RadosGW {
    static let environment = ProcessInfo.processInfo.environment
    static var enabled: Bool { environment["COUNTERSIGN_TEST_S3_ENDPOINT"] != nil || environment["CI"] == "true" }

    static func bucketName() -> String { "countersign-test-\(UInt32.random(in: 0...UInt32.max))" }

    static func client(bucket: String, prefix: String) throws -> S3Client {
        let endpoint = try #require(environment["COUNTERSIGN_TEST_S3_ENDPOINT"], "radosgw is not running")
        return try S3Client(
            settings: S3Settings(
                endpoint: endpoint,
                region: environment["COUNTERSIGN_TEST_S3_REGION"] ?? "default",
                bucket: bucket,
                prefix: prefix,
                accessKey: try #require(environment["COUNTERSIGN_TEST_S3_ACCESS_KEY"]),
                secretKey: try #require(environment["COUNTERSIGN_TEST_S3_SECRET_KEY"])
            )
        )
    }

    /// A fresh WORM bucket (one-day COMPLIANCE retention) under a prefix.
    static func storage() throws -> S3Storage {
        let client = try client(bucket: bucketName(), prefix: "archive/test")
        try S3Bucket.create(client, retentionDays: 1)
        return S3Storage(client: client)
    }
}
