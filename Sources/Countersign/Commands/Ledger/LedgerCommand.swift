import ArgumentParser
import Blocking
import Foundation
import Ledger
import ObjectStorage
import Pipeline

/// `countersign ledger ...`: the cold ledger's tools for operators and auditors.
struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger",
        abstract: "Keys, verification, proofs and export of the tamper-evident ledger.",
        discussion: """
            A ledger (a directory, or s3://bucket/prefix on object storage) holds one log per \
            source partition under logs/<topic>/<partition>/: an RFC 9162 Merkle tree in the \
            C2SP tlog-tiles layout (tile/, tile/entries/), signed checkpoints (checkpoint/), \
            the index (index/), oversized entries (large/) and the writers' commits (commit/); \
            org/ holds the organisation checkpoints that sign every log's latest checkpoint. \
            See docs/ledger.md.
            """,
        subcommands: [
            LedgerKeygen.self, LedgerVerify.self, LedgerProve.self, LedgerConsistency.self, LedgerExport.self,
            LedgerAppend.self, LedgerBucket.self,
        ]
    )
}

/// Options every reading subcommand shares.
struct LedgerLocation: ParsableArguments {
    @Option(
        name: [.customLong("location"), .customLong("dir")],
        help: ArgumentHelp(
            "The ledger: a directory, or s3://bucket/prefix.",
            discussion:
                "For s3:// the endpoint and credentials come from the environment: AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_CA_BUNDLE)."
        )
    )
    var location: String

    @Option(help: "The verifier key file (<name>+<id>+<key>, from `ledger keygen`).")
    var key: String

    @Option(help: "One partition's log, as <topic>/<partition> (default: every log).")
    var log: String?

    func verifier() throws -> NoteVerifier {
        guard let text = try? String(contentsOfFile: key, encoding: .utf8) else {
            throw ValidationError("cannot read the verifier key '\(key)'")
        }
        do {
            return try NoteVerifier(verifierKey: text)
        } catch {
            throw ValidationError("\(key): \(error)")
        }
    }

    /// The archive; its origin is the verifier key's name.
    func archive() throws -> LedgerArchive {
        LedgerArchive(storage: try LedgerStorages.open(location), origin: try verifier().name)
    }

    /// The log --log names, or nil.
    func selectedLog() throws -> LedgerArchive.LogID? {
        guard let log else { return nil }
        let parts = log.split(separator: "/")
        guard parts.count == 2, let partition = Int32(parts[1]) else {
            throw ValidationError("--log takes <topic>/<partition>, e.g. mcp.audit/3")
        }
        return LedgerArchive.LogID(topic: String(parts[0]), partition: partition)
    }

    /// The reader of the log --log names (required here).
    func reader() throws -> LedgerReader {
        guard let log = try selectedLog() else {
            throw ValidationError("name the log with --log <topic>/<partition> (`ledger verify` lists them)")
        }
        return try archive().reader(for: log)
    }

    /// The log's latest checkpoint, its signature checked.
    func checkpoint(_ reader: LedgerReader) throws -> (checkpoint: Checkpoint, note: String) {
        do {
            return try reader.checkpoint(verifier: verifier())
        } catch let error as LedgerError {
            throw ValidationError("\(error)")
        }
    }
}

/// Opens a ledger location: a directory or s3://bucket/prefix.
enum LedgerStorages {
    static func open(_ location: String) throws -> any LedgerStorage {
        guard location.hasPrefix("s3://") else { return DirectoryStorage(reading: location) }
        do {
            let settings = try S3Settings.fromEnvironment(
                location: location,
                environment: ProcessInfo.processInfo.environment
            )
            return S3Storage(client: try S3Client(settings: settings))
        } catch {
            throw ValidationError(error.description)
        }
    }

    /// The storage a pipeline's `ledger:` section names; a bucket must be WORM
    /// (versioned, default COMPLIANCE retention of at least retention_days).
    static func open(_ spec: PipelineSpec.Ledger) throws -> any LedgerStorage {
        guard let s3 = spec.s3 else { return try DirectoryStorage(root: spec.directory) }
        let settings = S3Settings(
            endpoint: s3.endpoint,
            region: s3.region,
            bucket: s3.bucket,
            prefix: s3.prefix,
            accessKey: s3.accessKey,
            secretKey: s3.secretKey,
            caFile: s3.caFile
        )
        do {
            let client = try S3Client(settings: settings)
            try S3Bucket.checkWORM(client, minimumDays: s3.retentionDays)
            return S3Storage(client: client)
        } catch {
            throw CommandError("ledger.s3: \(error.description)")
        }
    }
}

/// Prints a JSON value with sorted keys, one document.
func printJSON(_ value: [String: Any]) throws {
    let data = try JSONSerialization.data(
        withJSONObject: value,
        options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    )
    print(String(decoding: data, as: UTF8.self))
}

struct LedgerKeygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make an Ed25519 key pair in the C2SP signed-note formats.",
        discussion: """
            Writes <out>.key (the signer key, mode 0600: keep it secret, point the pipeline's \
            ledger.key_file at it) and <out>.pub (the verifier key: give it to auditors). The \
            name is the log's origin line in every checkpoint, e.g. countersign.example.com/acme.
            """
    )

    @Option(help: "The key name, which is also the log's origin.")
    var name: String

    @Option(help: "Path prefix of the two files written.")
    var out: String

    func run() throws {
        for path in [out + ".key", out + ".pub"] where FileManager.default.fileExists(atPath: path) {
            throw ValidationError("\(path) exists; refusing to overwrite a key")
        }
        let keys: (signer: String, verifier: String)
        do {
            keys = try NoteSigner.generate(name: name)
        } catch {
            throw ValidationError("\(error)")
        }
        try OutputFile.replace(out + ".key", with: Array((keys.signer + "\n").utf8), permissions: 0o600, durable: true)
        try OutputFile.replace(out + ".pub", with: Array((keys.verifier + "\n").utf8))
        print("ledger keygen: signer key in \(out).key (secret), verifier key in \(out).pub:")
        print(keys.verifier)
    }
}
