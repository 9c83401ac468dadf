import Foundation
import Ledger

#if canImport(Glibc)
import Glibc
#endif

/// Appends of 440-byte events through the ledger writer with durable group
/// commit (batches of 10,000), next to the two physical limits measured in
/// the same run on the same disk: SHA-256 over 440-byte inputs on one core,
/// and the rate of write + fsync + rename of new 8 KiB files.
struct LedgerBenchmark {
    var events: Int
    var batch = 10_000

    func run() throws {
        let directory = NSTemporaryDirectory() + "countersign-ledger-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keys = try NoteSigner.generate(name: "bench.countersign/ledger")
        let signer = try NoteSigner(signerKey: keys.signer)
        let writer = try LedgerWriter(directory: directory + "/ledger", origin: signer.name, signer: signer)
        let pad = [UInt8](repeating: UInt8(ascii: "x"), count: 440)
        var messages: [LedgerMessage] = []
        messages.reserveCapacity(batch)
        let clock = ContinuousClock()
        let start = clock.now
        var appended = 0
        while appended < events {
            messages.removeAll(keepingCapacity: true)
            for offset in appended..<min(events, appended + batch) {
                var bytes = pad
                var value = offset
                for position in 0..<10 {
                    bytes[position] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
                messages.append(
                    LedgerMessage(topic: "t", partition: 0, offset: Int64(offset), bytes: bytes, eventID: nil)
                )
            }
            _ = try writer.append(messages)
            appended += messages.count
        }
        try writer.checkpoint()
        let elapsed = seconds(clock.now - start)
        report(
            "ledger: \(format(Double(appended) / elapsed)) appends/s durable (\(appended) x 440 B, batches of "
                + "\(batch), \(format(elapsed)) s, checkpoint signed)"
        )

        // Physical limit 1: SHA-256 of 440-byte inputs on one core.
        let hasher = SHA256Hasher()
        let hashStart = clock.now
        var hashes = 0
        var sink = SHA256Hasher.emptyRoot
        while clock.now - hashStart < .seconds(2) {
            for _ in 0..<10_000 { sink = hasher.leafHash(pad) }
            hashes += 10_000
        }
        let hashRate = Double(hashes) / seconds(clock.now - hashStart)
        report("ledger: SHA-256 of 440 B, one core: \(format(hashRate)) hashes/s (\(sink.hex.prefix(4)))")

        // Physical limit 2: new 8 KiB files, each written, fsynced, renamed.
        let probe = directory + "/fsync"
        try FileManager.default.createDirectory(atPath: probe, withIntermediateDirectories: true)
        let tile = [UInt8](repeating: 7, count: 8_192)
        let fsyncStart = clock.now
        var files = 0
        while clock.now - fsyncStart < .seconds(3) {
            let path = "\(probe)/\(files)"
            let fd = open(path + ".tmp", O_WRONLY | O_CREAT | O_TRUNC, 0o444)
            _ = tile.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            fsync(fd)
            close(fd)
            rename(path + ".tmp", path)
            files += 1
        }
        let fsyncRate = Double(files) / seconds(clock.now - fsyncStart)
        report(
            "ledger: disk: \(format(fsyncRate)) new 8 KiB files/s written + fsynced + renamed one at a time "
                + "(two per 256 entries: \(format(fsyncRate * 128)) entries/s if each were synced alone)"
        )
    }
}
