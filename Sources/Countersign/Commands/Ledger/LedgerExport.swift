import ArgumentParser
import AuditDecoder
import Blocking
import Foundation
import Ledger

struct LedgerExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write raw entries as JSONL, for replay through `detect` or into a topic.",
        discussion: """
            One line per entry of the log --log names, in leaf order (its partition's offset \
            order): the message bytes exactly as consumed. A message \
            that is not one line of UTF-8 (a malformed one the worker dead-lettered) is written \
            as {"ledger_index":N,"message_base64":"..."} instead and counted on standard error. \
            The range is --from up to, not including, --to (default: the checkpoint's size).
            """
    )

    @OptionGroup var location: LedgerLocation

    @Option(help: "The first leaf index.")
    var from: UInt64 = 0

    @Option(help: "The leaf index to stop before (default: the checkpoint's size).")
    var to: UInt64?

    @Option(help: "Write here instead of standard output.")
    var output: String?

    func run() throws {
        let reader = try location.reader()
        let (checkpoint, _) = try location.checkpoint(reader)
        let end = to ?? checkpoint.size
        guard from <= end, end <= checkpoint.size else {
            throw ValidationError("need --from <= --to <= \(checkpoint.size) (the checkpoint's size)")
        }
        let sink = try OutputFile(path: output ?? "-")
        let progress = ProgressLine(
            "ledger export",
            total: end - from,
            counting: .items("entries"),
            dataOnStandardOutput: output == nil || output == "-"
        )
        var wrapped = 0
        var buffer: [UInt8] = []
        // Bundle by bundle: reading each entry on its own re-read its whole bundle.
        var entries = reader.entries(from..<end, size: checkpoint.size)
        while let (index, entry) = try entries.next() {
            let message = try reader.message(from: entry)
            if !message.contains(0x0A) && !message.contains(0x0D) && String(validating: message, as: UTF8.self) != nil {
                buffer += message
            } else {
                buffer += Array(
                    "{\"ledger_index\":\(index),\"message_base64\":\"\(Data(message).base64EncodedString())\"}".utf8
                )
                wrapped += 1
            }
            buffer.append(0x0A)
            if buffer.count > 1 << 20 {
                try sink.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
            progress.update(index - from + 1)
        }
        try sink.write(buffer)
        try sink.finish()
        progress.clear()
        FileHandle.standardError.write(
            Data("ledger export: \(end - from) entries (\(wrapped) not single-line UTF-8, wrapped)\n".utf8)
        )
    }
}

struct LedgerAppend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "append",
        abstract: "Append the lines of a JSONL file as entries (imports, and the crash test).",
        discussion: """
            Each line is one entry of the log <--topic>/0; its line number (from 0) is its \
            offset, so appending the same lines again adds nothing. After each durable batch \
            prints `durable through line N, size S`; signs a checkpoint every \
            --checkpoint-every entries and at the end.
            """
    )

    @Option(
        name: [.customLong("location"), .customLong("dir")],
        help: "The ledger: a directory (created when missing) or s3://bucket/prefix."
    )
    var directory: String

    @Option(help: "The signer key file (from `ledger keygen`).")
    var keyFile: String

    @Option(help: "JSONL input, one entry per line; - for standard input.")
    var input: String

    @Option(help: "The first line (from 0) to append; earlier lines are skipped.")
    var startLine: Int = 0

    @Option(help: "Lines per durable batch.")
    var batch: Int = 10_000

    @Option(help: "The source name the line numbers are offsets in.")
    var topic: String = "import"

    @Option(help: "Sign a checkpoint after this many new entries.")
    var checkpointEvery: UInt64 = 100_000

    func run() throws {
        guard let keyText = try? String(contentsOfFile: keyFile, encoding: .utf8) else {
            throw ValidationError("cannot read the signer key '\(keyFile)'")
        }
        let writer: LedgerWriter
        do {
            let signer = try NoteSigner(signerKey: keyText)
            let storage =
                directory.hasPrefix("s3://")
                ? try LedgerStorages.open(directory) : try DirectoryStorage(root: directory)
            writer = try LedgerArchive(storage: storage, origin: signer.name)
                .writer(for: LedgerArchive.LogID(topic: topic, partition: 0), signer: signer)
        } catch {
            throw ValidationError("\(error)")
        }
        var lines = try LineReader(path: input)
        // Event ids for the index, from the lines that decode.
        let decoder = try AuditEventDecoder(limits: .init())
        var line = 0
        var pending: [LedgerMessage] = []
        func flush() throws {
            guard !pending.isEmpty else { return }
            _ = try writer.append(pending)
            FileHandle.standardOutput.write(
                Data("durable through line \(pending.last!.offset), size \(writer.size)\n".utf8)
            )
            pending.removeAll(keepingCapacity: true)
            if writer.size - writer.checkpointSize >= checkpointEvery { try writer.checkpoint() }
        }
        while let bytes = try lines.next() {
            defer { line += 1 }
            guard line >= startLine else { continue }
            let eventID = try? decoder.decode(bytes).eventID
            pending.append(
                LedgerMessage(topic: topic, partition: 0, offset: Int64(line), bytes: bytes, eventID: eventID)
            )
            if pending.count >= batch { try flush() }
        }
        try flush()
        if writer.size > writer.checkpointSize { try writer.checkpoint() }
        print("ledger append: size \(writer.size)")
    }
}
