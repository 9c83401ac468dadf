import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Users pass /dev/null, a FIFO or /dev/stdout as an output all the time.
/// Every command that writes a file must write such a path in place, never
/// replace it (a rename over /dev/null turns it into a regular file and
/// breaks every later process on the machine that writes to it).
extension EndToEndSuites {
    @Suite("outputs that are not regular files")
    struct SpecialOutputTests {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "special-\(UInt32.random(in: 0...UInt32.max))"
        )

        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

        func kind(_ path: String) -> mode_t {
            var status = stat()
            return stat(path, &status) == 0 ? status.st_mode & S_IFMT : 0
        }

        /// Reads a FIFO to its end on a thread; the byte count once the writer closed it.
        final class FIFOReader: @unchecked Sendable {
            private let done = DispatchSemaphore(value: 0)
            private(set) var bytes = 0

            init(_ path: String) {
                Thread { [self] in
                    let fd = open(path, O_RDONLY)
                    var buffer = [UInt8](repeating: 0, count: 1 << 16)
                    while fd >= 0 {
                        let count = read(fd, &buffer, buffer.count)
                        if count <= 0 { break }
                        bytes += count
                    }
                    if fd >= 0 { close(fd) }
                    done.signal()
                }.start()
            }

            func wait() -> Int? { done.wait(timeout: .now() + 60) == .success ? bytes : nil }
        }

        @Test("detect, score, generate and ledger export write into a FIFO and a character device and keep them")
        func specialFiles() throws {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            // A character device like /dev/null (major 1, minor 3), made here so
            // that a failure cannot break the machine's own /dev/null.
            let device = path("null")
            // glibc's makedev(1, 3) is (1 << 8) | 3 for numbers this small.
            #expect(mknod(device, S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0, "mknod needs root (CI runs as root)")
            #expect(mkfifo(path("fifo"), 0o600) == 0)

            let (generated, _) = try EndToEnd.countersign([
                "generate", "--count", "20000", "--seed", "5", "--incidents", "5", "-o", path("events.jsonl"),
            ])
            #expect(generated == 0)
            try "ts,value\n1,2\n2,3\n3,40\n".write(toFile: path("series.csv"), atomically: true, encoding: .utf8)
            let ledger = path("ledger")
            #expect(
                try EndToEnd.countersign(["ledger", "keygen", "--name", "test.ledger", "--out", path("key")]).0 == 0
            )
            #expect(
                try EndToEnd.countersign([
                    "ledger", "append", "--dir", ledger, "--key-file", path("key.key"), "--input", path("events.jsonl"),
                ]).0 == 0
            )
            let writers: [[String]] = [
                ["detect", "--input", path("events.jsonl"), "--output", "OUT", "--quiet"],
                ["detect", "--input", path("events.jsonl"), "--output", "OUT", "--snapshot-out", "OUT", "--quiet"],
                ["score", "--csv", path("series.csv"), "--output", "OUT"],
                ["generate", "--count", "1000", "--seed", "2", "--incidents", "1", "--labels", "OUT", "-o", "OUT"],
                [
                    "ledger", "export", "--dir", ledger, "--key", path("key.pub"), "--log", "import/0", "--output",
                    "OUT",
                ],
            ]
            for command in writers {
                // A FIFO's reader sees one writer's end; a command that opens
                // the path twice (two outputs) goes to the device only.
                let twice = command.filter { $0 == "OUT" }.count > 1
                for target in twice ? [device] : [device, path("fifo")] {
                    let reader = target == device ? nil : FIFOReader(target)
                    let arguments = command.map { $0 == "OUT" ? target : $0 }
                    let (status, _) = try EndToEnd.countersign(arguments)
                    #expect(status == 0, "\(command.prefix(2)) into \(target)")
                    if let reader {
                        // The FIFO was opened and written in place (a rename would leave the reader waiting).
                        let count = try #require(
                            reader.wait(),
                            "\(command.prefix(2)): the FIFO's reader never saw an end"
                        )
                        #expect(count > 0, "\(command.prefix(2)) wrote nothing into the FIFO")
                    }
                    #expect(kind(device) == S_IFCHR, "\(command.prefix(2)) replaced the character device")
                    #expect(kind(path("fifo")) == S_IFIFO, "\(command.prefix(2)) replaced the FIFO")
                }
            }
            // A regular file is still replaced whole, and no temporary file is left beside it.
            try "old content that is longer than what comes next\n".write(
                toFile: path("alerts.jsonl"),
                atomically: true,
                encoding: .utf8
            )
            #expect(
                try EndToEnd.countersign(["score", "--csv", path("series.csv"), "--output", path("alerts.jsonl")]).0
                    == 0
            )
            #expect(try String(contentsOfFile: path("alerts.jsonl"), encoding: .utf8).hasPrefix("ts,value,score"))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
                $0.contains(".tmp-")
            }
            #expect(leftovers.isEmpty)
        }
    }
}
