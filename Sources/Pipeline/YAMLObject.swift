internal import Yams

/// Where a pipeline file came from, for errors and interpolation, and what
/// reading it collects: its problems, and (for the configuration reference)
/// every key the decoder asks for.
struct Context {
    var file: String
    var environment: [String: String]
    var checks = PipelineChecks.none
    let diagnostics = Diagnostics()
    var schema: SchemaRecorder?
}

/// A YAML mapping being read: typed accessors that name file, line and key
/// in every error, and a final check that no key was left unread.
public struct YAMLObject {
    let pairs: [(key: String, value: Node, line: Int?)]
    let path: String?
    let line: Int?
    let context: Context
    private var used: Set<String> = []
    /// Keys asked for, present or not: the vocabulary for "did you mean".
    private var asked: Set<String> = []

    /// `line` is where the mapping's key stands in its parent (its own mark
    /// points at its first member).
    init(_ node: Node, path: String?, line: Int?, context: Context) throws(PipelineFileError) {
        self.path = path
        self.context = context
        self.line = line ?? node.mark?.line
        guard case .mapping(let mapping) = node else {
            throw PipelineFileError(file: context.file, line: line, key: path, message: "expected a mapping of keys")
        }
        var pairs: [(key: String, value: Node, line: Int?)] = []
        var seen: Set<String> = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else {
                throw PipelineFileError(
                    file: context.file,
                    line: key.mark?.line,
                    key: path,
                    message: "keys must be plain text"
                )
            }
            let name = scalar.string
            let full = path.map { "\($0).\(name)" } ?? name
            guard seen.insert(name).inserted else {
                throw PipelineFileError(file: context.file, line: key.mark?.line, key: full, message: "appears twice")
            }
            pairs.append((name, value, key.mark?.line))
        }
        self.pairs = pairs
    }

    /// Whether the mapping has `key` at all.
    public func has(_ key: String) -> Bool { pairs.contains { $0.key == key } }

    func fullKey(_ key: String) -> String { path.map { "\($0).\(key)" } ?? key }

    public func error(key: String?, _ message: String, line: Int? = nil) -> PipelineFileError {
        PipelineFileError(
            file: context.file,
            line: line ?? key.flatMap { self.line(of: $0) } ?? self.line,
            key: key.map(fullKey) ?? path,
            message: message
        )
    }

    private func line(of key: String) -> Int? { pairs.first { $0.key == key }?.line }

    /// Records every key outside `known` and not read already (keys every
    /// entry of a list shares are read by the caller first) as unknown,
    /// with the known key it is closest to. Called before anything else is
    /// read, so a typo in a required key reads "unknown key", not "required".
    public func only(_ known: Set<String>) throws(PipelineFileError) {
        for pair in pairs where !known.contains(pair.key) && !used.contains(pair.key) {
            context.diagnostics.record(unknown(pair, candidates: known.union(used)))
        }
    }

    private func unknown(_ pair: (key: String, value: Node, line: Int?), candidates: Set<String>) -> PipelineFileError {
        let hint = closest(to: pair.key, in: candidates.sorted()).map { "; did you mean '\($0)'?" } ?? ""
        return error(key: pair.key, "unknown key" + hint, line: pair.line)
    }

    /// A required key is absent: when a key of the mapping looks like a
    /// misspelling of it, that unknown key is the problem to report.
    private func missing(_ key: String) -> PipelineFileError {
        if let typo = pairs.first(where: { !used.contains($0.key) && closest(to: $0.key, in: [key]) != nil }) {
            return unknown(typo, candidates: [key])
        }
        return error(key: key, "required")
    }

    /// Records a problem and lets reading go on (the caller uses a default),
    /// so one run of `check` reports every mistake.
    public func note(_ problem: PipelineFileError) { context.diagnostics.record(problem) }

    /// For the configuration reference: what this key is, when the decoder
    /// runs in recording mode.
    private func describe(_ key: String, _ type: String, _ fallback: String?, _ constraint: String? = nil) {
        context.schema?.record(path: fullKey(key), type: type, fallback: fallback, constraint: constraint)
    }

    private mutating func value(_ key: String) -> Node? {
        asked.insert(key)
        guard let pair = pairs.first(where: { $0.key == key }) else { return nil }
        used.insert(key)
        return pair.value
    }

    /// A scalar's text, with `${NAME}` and `${NAME:-default}` replaced.
    private func text(_ node: Node, key: String) throws(PipelineFileError) -> String {
        guard case .scalar(let scalar) = node else { throw error(key: key, "expected a single value") }
        return try interpolate(scalar.string, key: key, line: node.mark?.line)
    }

    func interpolate(_ raw: String, key: String, line: Int?) throws(PipelineFileError) -> String {
        var result = ""
        var rest = Substring(raw)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("$") {
                result += "$"
                rest = after.dropFirst()
            } else if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                let inner = after[after.index(after: after.startIndex)..<close]
                let parts = inner.split(separator: ":-", maxSplits: 1, omittingEmptySubsequences: false)
                let name = String(parts[0])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw error(key: key, "'${...}' needs a variable name of letters, digits and '_'", line: line)
                }
                if let value = context.environment[name] {
                    result += value
                } else if parts.count == 2 {
                    result += parts[1]
                } else {
                    throw error(key: key, "environment variable \(name) is not set and has no default", line: line)
                }
                rest = after[after.index(after: close)...]
            } else {
                throw error(key: key, "a '$' starts '${NAME}' or '$$'", line: line)
            }
        }
        return result + rest
    }

    public mutating func string(_ key: String) throws(PipelineFileError) -> String {
        describe(key, "text", "required")
        guard let node = value(key) else { throw missing(key) }
        let result = try text(node, key: key)
        if result.isEmpty { throw error(key: key, "must not be empty", line: node.mark?.line) }
        return result
    }

    public mutating func integer(
        _ key: String,
        default fallback: Int,
        in range: ClosedRange<Int>
    ) throws(PipelineFileError) -> Int {
        describe(key, "integer", "\(fallback)", "\(range.lowerBound) to \(range.upperBound)")
        guard let node = value(key) else { return fallback }
        guard let number = Int(try text(node, key: key)) else {
            note(error(key: key, "expected a whole number", line: node.mark?.line))
            return fallback
        }
        guard range.contains(number) else {
            note(error(key: key, "must be between \(range.lowerBound) and \(range.upperBound)", line: node.mark?.line))
            return fallback
        }
        return number
    }

    public mutating func number(
        _ key: String,
        default fallback: Double,
        in range: ClosedRange<Double>
    ) throws(PipelineFileError) -> Double {
        describe(
            key,
            "number",
            Self.plain(fallback),
            "\(Self.plain(range.lowerBound)) to \(Self.plain(range.upperBound))"
        )
        guard let node = value(key) else { return fallback }
        guard let number = Double(try text(node, key: key)), number.isFinite else {
            note(error(key: key, "expected a number", line: node.mark?.line))
            return fallback
        }
        guard range.contains(number) else {
            note(error(key: key, "must be between \(range.lowerBound) and \(range.upperBound)", line: node.mark?.line))
            return fallback
        }
        return number
    }

    /// `10` rather than `10.0`, and a Float default (`0.01`) as written,
    /// not as its Double widening.
    static func plain(_ number: Double) -> String {
        if number == number.rounded() && abs(number) <= 1e15 { return "\(Int(number))" }
        return Double(Float(number)) == number ? "\(Float(number))" : "\(number)"
    }

    public mutating func boolean(_ key: String, default fallback: Bool) throws(PipelineFileError) -> Bool {
        describe(key, "boolean", "\(fallback)")
        guard let node = value(key) else { return fallback }
        switch try text(node, key: key) {
        case "true": return true
        case "false": return false
        default:
            note(error(key: key, "expected true or false", line: node.mark?.line))
            return fallback
        }
    }

    public mutating func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(PipelineFileError) -> Int? {
        asked.insert(key)
        describe(key, "integer", nil, "\(range.lowerBound) to \(range.upperBound)")
        guard pairs.contains(where: { $0.key == key }) else { return nil }
        return try integer(key, default: range.lowerBound, in: range)
    }

    public mutating func optionalString(_ key: String) throws(PipelineFileError) -> String? {
        asked.insert(key)
        describe(key, "text", nil)
        guard pairs.contains(where: { $0.key == key }) else { return nil }
        return try string(key)
    }

    public mutating func optionalStringList(_ key: String) throws(PipelineFileError) -> [String]? {
        asked.insert(key)
        describe(key, "list of text", nil)
        guard pairs.contains(where: { $0.key == key }) else { return nil }
        return try stringList(key)
    }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(
        _ key: String,
        default fallback: E?
    ) throws(PipelineFileError) -> E where E.RawValue == String {
        let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
        describe(key, "one of: \(allowed)", fallback?.rawValue)
        guard let node = value(key) else {
            if let fallback { return fallback }
            throw missing(key)
        }
        let raw = try text(node, key: key)
        guard let result = E(rawValue: raw) else {
            let hint = closest(to: raw, in: E.allCases.map(\.rawValue)).map { "; did you mean '\($0)'?" } ?? ""
            let problem = error(key: key, "expected one of: \(allowed)" + hint, line: node.mark?.line)
            guard let fallback else { throw problem }
            note(problem)
            return fallback
        }
        return result
    }

    public mutating func stringList(_ key: String) throws(PipelineFileError) -> [String] {
        describe(key, "list of text", "required")
        guard let node = value(key) else { throw missing(key) }
        guard case .sequence(let sequence) = node else {
            throw error(key: key, "expected a list", line: node.mark?.line)
        }
        var result: [String] = []
        for item in sequence { result.append(try text(item, key: key)) }
        return result
    }

    /// Every pair of this mapping as text (for pass-through properties).
    public mutating func stringMap() throws(PipelineFileError) -> [String: String] {
        context.schema?.record(path: path ?? "", type: "mapping of text", fallback: nil, constraint: nil)
        var result: [String: String] = [:]
        for pair in pairs {
            used.insert(pair.key)
            result[pair.key] = try text(pair.value, key: pair.key)
        }
        return result
    }

    /// Every pair of this mapping as a list of text (one value is a list of one).
    public mutating func stringListMap() throws(PipelineFileError) -> [(key: String, values: [String], line: Int?)] {
        context.schema?.record(
            path: path ?? "",
            type: "mapping of text or lists of text",
            fallback: nil,
            constraint: nil
        )
        var result: [(key: String, values: [String], line: Int?)] = []
        for pair in pairs {
            used.insert(pair.key)
            if case .sequence(let sequence) = pair.value {
                var values: [String] = []
                for item in sequence { values.append(try text(item, key: pair.key)) }
                result.append((pair.key, values, pair.line))
            } else {
                result.append((pair.key, [try text(pair.value, key: pair.key)], pair.line))
            }
        }
        return result
    }

    public mutating func object(_ key: String) throws(PipelineFileError) -> YAMLObject {
        describe(key, "section", "required")
        guard let node = value(key) else { throw missing(key) }
        return try YAMLObject(node, path: fullKey(key), line: line(of: key), context: context)
    }

    public mutating func optionalObject(_ key: String) throws(PipelineFileError) -> YAMLObject? {
        describe(key, "section", nil)
        guard let node = value(key) else { return nil }
        return try YAMLObject(node, path: fullKey(key), line: line(of: key), context: context)
    }

    public mutating func objectList(_ key: String) throws(PipelineFileError) -> [YAMLObject] {
        describe(key, "list of sections", "required")
        guard let node = value(key) else { throw missing(key) }
        guard case .sequence(let sequence) = node else {
            throw error(key: key, "expected a list", line: node.mark?.line)
        }
        var result: [YAMLObject] = []
        for (index, item) in sequence.enumerated() {
            result.append(try YAMLObject(item, path: "\(fullKey(key))[\(index)]", line: nil, context: context))
        }
        return result
    }

    /// Records every key nobody asked for: a typo must not be silently ignored.
    public func finish() throws(PipelineFileError) {
        for pair in pairs where !used.contains(pair.key) {
            note(unknown(pair, candidates: asked))
        }
    }

    /// A path to a file that must exist and be readable now (a key, a
    /// certificate): a missing one is named here rather than at start-up.
    public mutating func optionalFile(_ key: String) throws(PipelineFileError) -> String? {
        let line = pairs.first { $0.key == key }?.value.mark?.line
        guard let path = try optionalString(key) else { return nil }
        checkFile(path, key: key, line: line)
        return path
    }

    public mutating func file(_ key: String) throws(PipelineFileError) -> String {
        let line = pairs.first { $0.key == key }?.value.mark?.line
        let path = try string(key)
        checkFile(path, key: key, line: line)
        return path
    }

    /// Records why `path` (the value of `key`) cannot be read, if it cannot.
    public func checkFile(_ path: String, key: String, line: Int? = nil) {
        if let reason = context.checks.unreadableFile(path) {
            note(error(key: key, "cannot read '\(path)': \(reason)", line: line))
        }
    }
}
