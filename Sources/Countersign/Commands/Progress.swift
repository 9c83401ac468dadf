import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One line of progress on standard error for the long commands (`generate`,
/// `detect`, `ledger export`, `ledger verify`): how much is done and how
/// fast, and with a known total the percentage and the time left.
///
/// It is for a person watching, so it draws only when standard error is a
/// terminal: the line is rewritten in place after a carriage return, at most
/// four times a second, and erased by `clear()` (or when the value goes
/// away) so that the command's own summary, if any, takes its place. Into a
/// pipe or a file it writes nothing at all: logs and captured output stay as
/// they were. One per command, updated from the loop it follows; not
/// thread-safe, and not Sendable.
final class ProgressLine {
    /// What is counted.
    enum Counting {
        /// Things, named in the plural ("entries", "events").
        case items(String)
        /// Bytes, shown in B, kB, MB, GB.
        case bytes
    }

    /// The amount at which the work is done, when known. It may be learned
    /// late: `ledger verify` only knows it once the checkpoint is read.
    var total: UInt64?
    private let label: String
    private let counting: Counting
    private let drawing: Bool
    private let start: ContinuousClock.Instant
    private var nextDraw: ContinuousClock.Instant
    /// Characters of the line now on the terminal; 0 when there is none.
    private var shown = 0

    private static let interval = Duration.milliseconds(250)
    /// Short enough not to wrap on an 80-column terminal: a wrapped line
    /// cannot be rewritten with a carriage return.
    private static let width = 79

    /// `dataOnStandardOutput`: the command writes its output to standard
    /// output; when that is a terminal as well, the line stays off rather
    /// than break into the data.
    init(_ label: String, total: UInt64? = nil, counting: Counting, dataOnStandardOutput: Bool = false) {
        self.label = label
        self.total = total
        self.counting = counting
        drawing = isatty(2) == 1 && !(dataOnStandardOutput && isatty(1) == 1)
        let now = ContinuousClock.now
        start = now
        nextDraw = now + ProgressLine.interval
    }

    deinit {
        clear()
    }

    /// Records that `done` (items or bytes) is done so far, and redraws the
    /// line when a quarter of a second has passed since it last did. When
    /// not drawing it returns at once, so it can be called for every item.
    func update(_ done: UInt64) {
        guard drawing else { return }
        let now = ContinuousClock.now
        guard now >= nextDraw else { return }
        nextDraw = now + ProgressLine.interval
        draw(done, seconds: (now - start) / .seconds(1))
    }

    /// Erases the line, if one is shown; the next `update` draws it again.
    /// Call it before writing anything else to standard error, and at the end.
    func clear() {
        guard shown > 0 else { return }
        emit("\r" + String(repeating: " ", count: shown) + "\r")
        shown = 0
    }

    /// The size of the regular file at `path`, as the total of progress over
    /// its bytes; nil for `-` (standard input), pipes and devices.
    static func fileSize(_ path: String) -> UInt64? {
        guard path != "-" else { return nil }
        var status = stat()
        guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return UInt64(status.st_size)
    }

    /// `label: 42% (420k of 1.00M entries), 650k entries/s, 0:01 left`, or
    /// without a total `label: 420k entries, 650k entries/s`.
    private func draw(_ done: UInt64, seconds: Double) {
        let rate = seconds > 0 ? Double(done) / seconds : 0
        var line = "\(label): "
        if let total, total > 0 {
            let percent = Int(min(100, (Double(done) * 100 / Double(total)).rounded(.down)))
            line += "\(percent)% (\(amount(Double(done), named: false)) of \(amount(Double(total))))"
        } else {
            line += amount(Double(done))
        }
        line += ", \(amount(rate))/s"
        if let total, done < total, rate > 0 {
            line += ", \(Self.clock(Double(total - done) / rate)) left"
        }
        if line.count > Self.width { line = String(line.prefix(Self.width)) }
        emit("\r" + line + String(repeating: " ", count: max(0, shown - line.count)))
        shown = line.count
    }

    /// 950 entries, 12.3k entries, 4.56M entries (without the name when
    /// `named` is false); bytes always as 950 B, 12.3 kB, 4.56 MB.
    private func amount(_ value: Double, named: Bool = true) -> String {
        let (digits, prefix) = Self.shortened(value)
        switch counting {
        case .items(let name): return named ? "\(digits)\(prefix) \(name)" : "\(digits)\(prefix)"
        case .bytes: return "\(digits) \(prefix)B"
        }
    }

    /// Three significant digits and an SI prefix: (12.3, "k").
    private static func shortened(_ value: Double) -> (digits: String, prefix: String) {
        guard value.isFinite, value >= 0 else { return ("0", "") }
        let prefixes = ["", "k", "M", "G", "T", "P"]
        var scaled = value
        var power = 0
        while scaled >= 999.5, power < prefixes.count - 1 {
            scaled /= 1_000
            power += 1
        }
        if power == 0 { return (String(Int(scaled.rounded())), "") }
        let format = scaled < 9.995 ? "%.2f" : scaled < 99.95 ? "%.1f" : "%.0f"
        return (String(format: format, scaled), prefixes[power])
    }

    /// Time left as 0:07, 12:34 or 1:02:03 (at most 99:59:59).
    private static func clock(_ seconds: Double) -> String {
        let whole = seconds.isFinite ? Int(min(seconds.rounded(.up), 359_999)) : 359_999
        let (hours, minutes, rest) = (whole / 3_600, whole / 60 % 60, whole % 60)
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(rest))" : "\(minutes):\(twoDigits(rest))"
    }

    private func emit(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
