import Foundation
import Kafka
import Ledger
import Logging
import Testing
import TrafficGenerator
import Worker

extension WorkerTests {
    @Test("the ledger mirrors every consumed message, malformed ones too, and each event carries its leaf index")
    func ledgerMirror() async throws {
        let cluster = try MockCluster()
        try cluster.createTopic("mcp.audit", partitions: 4)
        try cluster.createTopic("mcp.audit.dead-letter", partitions: 1)
        let traffic = SyntheticTraffic(seed: 14)
        var messages = (0..<3_000).map { (key: Array("k\($0 % 7)".utf8), value: traffic.message(at: $0)) }
        messages.insert((key: Array("bad".utf8), value: Array("{not json".utf8)), at: 1_234)
        messages.insert((key: Array("bad".utf8), value: []), at: 2_000)
        try await produce(cluster, messages)

        let directory = NSTemporaryDirectory() + "countersign-ledger-worker-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = try NoteSigner.generate(name: "worker.test/ledger")
        var settings = configuration(cluster, group: "ledger")
        settings.ledger = try LedgerConfiguration(
            directory: directory,
            signerKey: keys.signer,
            checkpointEveryEntries: 1_000,
            checkpointInterval: .seconds(60)
        )
        let sink = CollectingSink()
        let service = KafkaSourceService(configuration: settings, sinks: [sink], logger: Logger(label: "test"))
        try await run(service) { await sink.eventIDs.count >= 3_000 && service.statistics.deadLettered >= 2 }
        #expect(service.statistics.ledgerSize == 3_002)

        // Each partition's log verifies, and each event's leaf in its log holds its raw bytes.
        let archive = LedgerArchive(storage: DirectoryStorage(reading: directory), origin: "worker.test/ledger")
        let verifier = try NoteVerifier(verifierKey: keys.verifier)
        let report = try archive.verify(verifier: verifier)
        #expect(report.entries == 3_002)
        #expect(report.logs.map { $0.log.partition } == [0, 1, 2, 3])
        #expect(report.organisation?.logs.count == 4)
        let leaves = await sink.leaves
        #expect(leaves.count == 3_000)
        let raw = Dictionary(
            uniqueKeysWithValues: (0..<3_000).map { (traffic.event(at: $0).eventID, traffic.message(at: $0)) }
        )
        var matching = 0
        var stored = Set<[UInt8]>()
        for (log, result) in report.logs {
            let reader = archive.reader(for: log)
            for index in 0..<result.entries { stored.insert(try reader.storedEntry(index, size: result.entries)) }
        }
        for (id, place) in leaves {
            let log = LedgerArchive.LogID(topic: "mcp.audit", partition: place.partition)
            let size = try #require(report.logs.first { $0.log == log }?.result.entries)
            if try archive.reader(for: log).storedEntry(place.leaf, size: size) == raw[id] { matching += 1 }
        }
        #expect(matching == 3_000)
        #expect(stored.contains(Array("{not json".utf8)))
        #expect(stored.contains([]))

        // A second group reading everything again appends nothing.
        var again = configuration(cluster, group: "ledger-again")
        again.ledger = settings.ledger
        let second = CollectingSink()
        let rerun = KafkaSourceService(configuration: again, sinks: [second], logger: Logger(label: "test"))
        try await run(rerun) { await second.eventIDs.count >= 3_000 }
        #expect(rerun.statistics.ledgerSize == 3_002)
        #expect(try archive.verify(verifier: verifier).entries == 3_002)
    }
}
