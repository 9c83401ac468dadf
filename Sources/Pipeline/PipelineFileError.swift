/// Why a pipeline file was refused: the file, the line, the key, the rule.
/// Values are never quoted (they may be secrets such as `sasl.password`).
public struct PipelineFileError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    /// Dotted path of the key at fault (`source.batch_size`), or nil for the whole file.
    public var key: String?
    public var message: String

    public init(file: String, line: Int?, key: String?, message: String) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
    }

    public var description: String {
        var text = file
        if let line { text += ":\(line)" }
        if let key { text += ": \(key)" }
        return text + ": " + message
    }
}
