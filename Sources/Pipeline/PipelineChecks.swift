/// Checks of a pipeline file that need the world outside it: whether
/// librdkafka accepts the Kafka properties, whether named files can be read.
/// The Pipeline module does no I/O itself; the worker passes the real checks
/// (`check` and `run` use them), tests pass their own.
public struct PipelineChecks: Sendable {
    /// librdkafka's refusals of `source.kafka`: property name to reason.
    public var kafkaProperties: @Sendable ([String: String]) -> [String: String]
    /// Why the file at a path cannot be read, or nil when it can.
    public var unreadableFile: @Sendable (String) -> String?

    public init(
        kafkaProperties: @escaping @Sendable ([String: String]) -> [String: String],
        unreadableFile: @escaping @Sendable (String) -> String?
    ) {
        self.kafkaProperties = kafkaProperties
        self.unreadableFile = unreadableFile
    }

    /// Checks nothing outside the file (values and structure only).
    public static let none = PipelineChecks(kafkaProperties: { _ in [:] }, unreadableFile: { _ in nil })
}

/// Every problem found in one file, kept so that `check` reports them all
/// at once, in line order, instead of stopping at the first.
final class Diagnostics {
    private(set) var errors: [PipelineFileError] = []
    private var seen: Set<String> = []

    /// Records a problem once per key and line (an unknown key is seen both
    /// by `only` and by `finish`).
    func record(_ error: PipelineFileError) {
        guard seen.insert("\(error.line ?? -1)|\(error.key ?? "")").inserted else { return }
        errors.append(error)
    }

    /// Runs `body`, recording what it throws; nil then.
    func attempt<T>(_ body: () throws(PipelineFileError) -> T) -> T? {
        do {
            return try body()
        } catch {
            record(error)
            return nil
        }
    }

    /// In line order (a problem of the whole file first).
    var sorted: [PipelineFileError] {
        errors.enumerated().sorted { a, b in
            let (la, lb) = (a.element.line ?? 0, b.element.line ?? 0)
            return la != lb ? la < lb : a.offset < b.offset
        }.map(\.element)
    }
}

/// The closest of `candidates` to a misspelt `word`, when one is close
/// enough to be what was meant (edit distance at most a third of the word,
/// and at most 3).
func closest(to word: String, in candidates: some Sequence<String>) -> String? {
    let limit = min(3, max(1, word.count / 3))
    var best: (String, Int)?
    for candidate in candidates where candidate != word {
        let distance = editDistance(word, candidate)
        if distance <= limit && distance < (best?.1 ?? Int.max) { best = (candidate, distance) }
    }
    return best?.0
}

/// Levenshtein distance with adjacent transpositions counted as one edit.
func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased().unicodeScalars)
    let b = Array(b.lowercased().unicodeScalars)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous2 = [Int](repeating: 0, count: b.count + 1)
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let cost = a[i - 1] == b[j - 1] ? 0 : 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = min(current[j], previous2[j - 2] + 1)
            }
        }
        (previous2, previous, current) = (previous, current, previous2)
    }
    return previous[b.count]
}
