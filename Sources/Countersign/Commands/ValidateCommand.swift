import ArgumentParser
import AuditDecoder
import AuditEvent

/// `countersign validate`: checks a JSONL file of events against mcp.audit/1.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a JSONL file of events against the mcp.audit/1 contract.",
        discussion: """
            Each line is decoded exactly as the worker decodes a Kafka message. Invalid \
            lines are reported with their line number, the field and the rule that failed \
            (never the value). Exits 1 when any line is invalid.
            """
    )

    @Argument(help: "A JSONL file, one event per line; '-' reads standard input.")
    var file: String = "-"

    @Option(help: "Largest accepted message, in bytes.")
    var maxMessageBytes: Int = 1 << 20

    @Option(help: "How many invalid lines to list before only counting them.")
    var maxErrors: Int = 20

    @Flag(help: "Do not list invalid lines; print the summary only.")
    var quiet = false

    func run() throws {
        guard maxMessageBytes > 0 else { throw ValidationError("--max-message-bytes must be positive") }
        let decoder = try AuditEventDecoder(limits: .init(maxMessageBytes: maxMessageBytes))
        var reader = try LineReader(path: file)
        var lineNumber = 0
        var valid = 0
        var invalidByCode: [String: Int] = [:]
        var listed = 0
        while let line = try reader.next() {
            lineNumber += 1
            if line.isEmpty { continue }
            do {
                _ = try decoder.decode(line)
                valid += 1
            } catch {
                invalidByCode[error.code.name, default: 0] += 1
                if !quiet, listed < maxErrors {
                    print("line \(lineNumber): \(error)")
                    listed += 1
                }
            }
        }
        let invalid = invalidByCode.values.reduce(0, +)
        print("\(valid + invalid) events: \(valid) valid, \(invalid) invalid")
        for (code, count) in invalidByCode.sorted(by: {
            $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key)
        }) {
            print("  \(code): \(count)")
        }
        if invalid > 0 { throw ExitCode(1) }
    }
}
