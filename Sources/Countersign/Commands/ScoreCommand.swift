import ArgumentParser
import Blocking
import Detection
import Foundation

/// `countersign score`: per-row anomaly scores for a `timestamp,value` series.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score each row of a timestamp,value CSV series for anomaly, in [0, 1].",
        discussion: """
            Uses the detectors' baseline (an exponentially weighted mean and spread): each \
            row's score depends only on the rows before it, as it would have been computed \
            live. Writes timestamp,value,score. A header row is kept if present; rows \
            whose value is not a number are reported by line and skipped.
            """
    )

    @Option(help: "The series: timestamp,value per line; '-' reads standard input.")
    var csv: String

    @Option(help: "Where to write timestamp,value,score; '-' writes to standard output.")
    var output: String = "-"

    @Option(help: "Weight of each new row in the baseline (0 < alpha <= 0.5).")
    var alpha: Double = 0.05

    @Option(help: "Rows scored 0 while the baseline learns.")
    var warmup: Int = 10

    func validate() throws {
        guard alpha > 0, alpha <= 0.5 else { throw ValidationError("--alpha must be in (0, 0.5]") }
        guard warmup >= 0 else { throw ValidationError("--warmup must not be negative") }
    }

    func run() throws {
        var reader = try LineReader(path: csv)
        let out = try OutputFile(path: output)
        var scorer = SeriesScorer(alpha: Float(alpha), warmup: warmup)
        var text = ""
        var lineNumber = 0
        var skipped = 0
        while let bytes = try reader.next() {
            lineNumber += 1
            let line = String(decoding: bytes, as: UTF8.self)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2, let value = Double(fields[1].trimmingCharacters(in: .whitespaces)),
                value.isFinite
            else {
                if lineNumber == 1 {
                    text += "\(fields.first ?? "timestamp"),\(fields.count > 1 ? fields[1] : "value"),score\n"
                } else {
                    skipped += 1
                    if skipped <= 20 { standardError("line \(lineNumber): expected timestamp,number") }
                }
                continue
            }
            let score = scorer.score(value)
            text += "\(fields[0]),\(fields[1]),\(String(format: "%.4f", score))\n"
            if text.utf8.count >= 1 << 20 {
                try out.write(Array(text.utf8))
                text = ""
            }
        }
        try out.write(Array(text.utf8))
        try out.finish()
        if skipped > 0 { standardError("score: \(skipped) rows skipped") }
    }
}
