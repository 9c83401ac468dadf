import AuditEvent
import Foundation
import Pipeline
import Testing
import TrafficGenerator
import Worker

#if canImport(Glibc)
import Glibc
#endif

/// The jsonl sink pointed at /dev/null or a FIFO (users do both): it writes
/// in place and acknowledges, where fsync would refuse (EINVAL) and stall
/// the pipeline for good.
@Suite("jsonl sink into special files")
struct SpecialFileTests {
    @Test("into a character device made with mknod: every batch acknowledged, the device left as it was")
    func characterDevice() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "jsonl-special-\(UInt32.random(in: 0...UInt32.max))"
        )
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let device = directory.appendingPathComponent("null").path
        // glibc's makedev(1, 3) (/dev/null's numbers) is (1 << 8) | 3.
        #expect(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0, "mknod needs root (CI runs as root)")
        let sink = try JSONLinesSink(path: device)
        let traffic = SyntheticTraffic(seed: 2)
        let events = (0..<100).map { index in
            ConsumedEvent(event: traffic.event(at: index), topic: "t", partition: 0, offset: Int64(index))
        }
        for _ in 0..<3 { _ = try await sink.write(EventBatch(events: events)) }
        var status = stat()
        #expect(stat(device, &status) == 0 && status.st_mode & S_IFMT == S_IFCHR)
    }
}
