import ArgumentParser
import Foundation
import ObjectStorage

/// `countersign ledger bucket`: makes (or checks) the WORM bucket an archive needs.
struct LedgerBucket: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bucket",
        abstract: "Create an S3 bucket with Object Lock and a default COMPLIANCE retention, or check one.",
        discussion: """
            Endpoint and credentials from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID and \
            AWS_SECRET_ACCESS_KEY. With --check, only reads the bucket's settings and says whether \
            the worker would accept it (versioned, default retention COMPLIANCE, at least \
            --retention-days). A COMPLIANCE retention cannot be shortened or removed by anyone, \
            the account's root user included, until it runs out: choose the days with care.
            """
    )

    @Option(help: "The bucket, as s3://bucket (a /prefix is ignored).")
    var location: String

    @Option(help: "The default retention, in days (2555: 7 years).")
    var retentionDays: Int

    @Flag(help: "Only check the bucket; change nothing.")
    var check = false

    func validate() throws {
        guard (1...36_500).contains(retentionDays) else { throw ValidationError("--retention-days must be 1 to 36500") }
    }

    func run() throws {
        do {
            var settings = try S3Settings.fromEnvironment(
                location: location,
                environment: ProcessInfo.processInfo.environment
            )
            settings.prefix = ""
            let client = try S3Client(settings: settings)
            if !check { try S3Bucket.create(client, retentionDays: retentionDays) }
            try S3Bucket.checkWORM(client, minimumDays: retentionDays)
            print(
                "ledger bucket: \(client.describe(nil)) is versioned with a default COMPLIANCE retention of at least \(retentionDays) days"
            )
        } catch {
            FileHandle.standardError.write(Data("ledger bucket: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
    }
}
