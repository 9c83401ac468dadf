internal import Yams

/// Where a pipeline file came from, for errors and interpolation.
struct Context {
    var file: String
    var environment: [String: String]
}

/// A YAML mapping being read: typed accessors that name file, line and key
/// in every error, and a final check that no key was left unread.
public struct YAMLObject {
    let pairs: [(key: String, value: Node, line: Int?)]
    let path: String?
    let line: Int?
    let context: Context
    private var used: Set<String> = []

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

    /// Refuses keys outside `known` before anything else is read, so a typo
    /// in a required key reads "unknown key", not "required".
    /// Refuses any key not in `known` and not read already (keys every
    /// entry of a list shares are read by the caller first).
    public func only(_ known: Set<String>) throws(PipelineFileError) {
        if let unknown = pairs.first(where: { !known.contains($0.key) && !used.contains($0.key) }) {
            throw error(key: unknown.key, "unknown key", line: unknown.line)
        }
    }

    private mutating func value(_ key: String) -> Node? {
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
        guard let node = value(key) else { throw error(key: key, "required") }
        let result = try text(node, key: key)
        if result.isEmpty { throw error(key: key, "must not be empty", line: node.mark?.line) }
        return result
    }

    public mutating func integer(
        _ key: String,
        default fallback: Int,
        in range: ClosedRange<Int>
    ) throws(PipelineFileError) -> Int {
        guard let node = value(key) else { return fallback }
        guard let number = Int(try text(node, key: key)) else {
            throw error(key: key, "expected a whole number", line: node.mark?.line)
        }
        guard range.contains(number) else {
            throw error(key: key, "must be between \(range.lowerBound) and \(range.upperBound)", line: node.mark?.line)
        }
        return number
    }

    public mutating func number(
        _ key: String,
        default fallback: Double,
        in range: ClosedRange<Double>
    ) throws(PipelineFileError) -> Double {
        guard let node = value(key) else { return fallback }
        guard let number = Double(try text(node, key: key)), number.isFinite else {
            throw error(key: key, "expected a number", line: node.mark?.line)
        }
        guard range.contains(number) else {
            throw error(key: key, "must be between \(range.lowerBound) and \(range.upperBound)", line: node.mark?.line)
        }
        return number
    }

    public mutating func boolean(_ key: String, default fallback: Bool) throws(PipelineFileError) -> Bool {
        guard let node = value(key) else { return fallback }
        switch try text(node, key: key) {
        case "true": return true
        case "false": return false
        default: throw error(key: key, "expected true or false", line: node.mark?.line)
        }
    }

    public mutating func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws(PipelineFileError) -> Int? {
        guard pairs.contains(where: { $0.key == key }) else { return nil }
        return try integer(key, default: range.lowerBound, in: range)
    }

    public mutating func optionalString(_ key: String) throws(PipelineFileError) -> String? {
        guard pairs.contains(where: { $0.key == key }) else { return nil }
        return try string(key)
    }

    public mutating func optionalStringList(_ key: String) throws(PipelineFileError) -> [String]? {
        guard pairs.contains(where: { $0.key == key }) else { return nil }
        return try stringList(key)
    }

    public mutating func enumeration<E: RawRepresentable & CaseIterable>(
        _ key: String,
        default fallback: E?
    ) throws(PipelineFileError) -> E where E.RawValue == String {
        guard let node = value(key) else {
            if let fallback { return fallback }
            throw error(key: key, "required")
        }
        guard let result = E(rawValue: try text(node, key: key)) else {
            let allowed = E.allCases.map(\.rawValue).joined(separator: ", ")
            throw error(key: key, "expected one of: \(allowed)", line: node.mark?.line)
        }
        return result
    }

    public mutating func stringList(_ key: String) throws(PipelineFileError) -> [String] {
        guard let node = value(key) else { throw error(key: key, "required") }
        guard case .sequence(let sequence) = node else {
            throw error(key: key, "expected a list", line: node.mark?.line)
        }
        var result: [String] = []
        for item in sequence { result.append(try text(item, key: key)) }
        return result
    }

    /// Every pair of this mapping as text (for pass-through properties).
    public mutating func stringMap() throws(PipelineFileError) -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            used.insert(pair.key)
            result[pair.key] = try text(pair.value, key: pair.key)
        }
        return result
    }

    public mutating func object(_ key: String) throws(PipelineFileError) -> YAMLObject {
        guard let node = value(key) else { throw error(key: key, "required") }
        return try YAMLObject(node, path: fullKey(key), line: line(of: key), context: context)
    }

    public mutating func optionalObject(_ key: String) throws(PipelineFileError) -> YAMLObject? {
        guard let node = value(key) else { return nil }
        return try YAMLObject(node, path: fullKey(key), line: line(of: key), context: context)
    }

    public mutating func objectList(_ key: String) throws(PipelineFileError) -> [YAMLObject] {
        guard let node = value(key) else { throw error(key: key, "required") }
        guard case .sequence(let sequence) = node else {
            throw error(key: key, "expected a list", line: node.mark?.line)
        }
        var result: [YAMLObject] = []
        for (index, item) in sequence.enumerated() {
            result.append(try YAMLObject(item, path: "\(fullKey(key))[\(index)]", line: nil, context: context))
        }
        return result
    }

    /// Refuses any key nobody asked for: a typo must not be silently ignored.
    public func finish() throws(PipelineFileError) {
        if let unknown = pairs.first(where: { !used.contains($0.key) }) {
            throw error(key: unknown.key, "unknown key", line: unknown.line)
        }
    }
}
