import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `countersign ledger append` killed with SIGKILL at random moments and
/// restarted each time from an earlier line (the re-delivered tail a Kafka
/// consumer gets after a crash): at the end the ledger holds every line
/// exactly once, in order, and verifies. `make test` runs 100,000 entries
/// and 5 kills; `make soak` 1,000,000 and 20 (COUNTERSIGN_CRASH_ENTRIES,
/// COUNTERSIGN_CRASH_KILLS).
@Suite("Ledger crash safety")
struct LedgerCrashTests {
    let entries = Int(EndToEnd.environment["COUNTERSIGN_CRASH_ENTRIES"] ?? "") ?? 100_000
    let kills = Int(EndToEnd.environment["COUNTERSIGN_CRASH_KILLS"] ?? "") ?? 5
    let batch = 2_000

    /// Starts countersign with stdout to `output`; returns its pid.
    func spawn(_ arguments: [String], output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([EndToEnd.binary.path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, EndToEnd.binary.path, &actions, nil, argv, environ) == 0 else {
            throw POSIXError(.ENOEXEC)
        }
        return pid
    }

    func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }

    /// The last "durable through line N" the writer printed, or nil.
    func lastDurable(_ file: String) -> Int? {
        let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").reversed().lazy.compactMap { line -> Int? in
            guard line.hasPrefix("durable through line ") else { return nil }
            return Int(line.dropFirst("durable through line ".count).prefix { $0.isNumber })
        }.first
    }

    @Test("SIGKILL at random moments, re-delivered tails: every entry once, no gap, verify passes")
    func crashes() async throws {
        let directory = NSTemporaryDirectory() + "countersign-crash-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = directory + "/input.jsonl"
        // 440-byte events, each line unique.
        var text = ""
        text.reserveCapacity(entries * 441)
        let pad = String(repeating: "x", count: 400)
        for line in 0..<entries {
            let head = "{\"event_id\":\"crash-\(String(line).leftPadded(9))\",\"p\":\""
            text += head + pad.prefix(440 - head.count - 2) + "\"}\n"
        }
        try text.write(toFile: input, atomically: false, encoding: .utf8)
        let keys = directory + "/key"
        let (status, _) = try EndToEnd.countersign(["ledger", "keygen", "--name", "crash.test/ledger", "--out", keys])
        #expect(status == 0)
        let ledger = directory + "/ledger"
        let append = { (start: Int) in
            [
                "ledger", "append", "--dir", ledger, "--key-file", keys + ".key", "--input", input,
                "--start-line", String(start), "--batch", String(batch), "--checkpoint-every", "50000",
            ]
        }
        var start = 0
        var killed = 0
        var redelivered = 0
        var round = 0
        // Until `kills` of them landed mid-run (a writer may finish before its kill).
        while killed < kills && round < 3 * kills {
            defer { round += 1 }
            let output = directory + "/out-\(round)"
            let pid = try spawn(append(start), output: output)
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...1_200)))
            kill(pid, SIGKILL)
            _ = wait(pid)
            // Killed mid-run unless it had printed its final line.
            let finished = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").contains(
                "ledger append: size"
            )
            if !finished { killed += 1 }
            // What the writer reported durable is committed; restart a few
            // batches earlier, as a consumer re-reads from its last commit.
            let durable = lastDurable(output).map { $0 + 1 } ?? start
            let restart = max(0, durable - Int.random(in: 0...(3 * batch)))
            redelivered += max(0, durable - restart)
            start = restart
        }
        let final = try spawn(append(start), output: directory + "/out-final")
        #expect(wait(final) == 0)
        print("ledger crash test: \(entries) entries, \(killed) SIGKILLs, \(redelivered) lines re-delivered")
        #expect(killed > 0)

        let (verified, report) = try EndToEnd.countersign(["ledger", "verify", "--dir", ledger, "--key", keys + ".pub"])
        #expect(verified == 0, "\(report)")
        #expect(report.contains("\(entries) entries"))
        let exported = directory + "/exported.jsonl"
        let (exportStatus, _) = try EndToEnd.countersign([
            "ledger", "export", "--dir", ledger, "--key", keys + ".pub", "--log", "import/0", "--output", exported,
        ])
        #expect(exportStatus == 0)
        let back = try String(contentsOfFile: exported, encoding: .utf8)
        #expect(back.count == text.count)
        #expect(back == text, "the ledger's entries are not the input lines, once each, in order")
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
