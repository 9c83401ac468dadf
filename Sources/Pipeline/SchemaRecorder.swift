/// Every key the decoder asks for, in the order it asks, with its type,
/// default and allowed range: the pipeline schema as the code itself reads
/// it, from which docs/configuration.md is generated (so the reference
/// cannot drift from the decoder).
final class SchemaRecorder {
    struct Key {
        /// Dotted path; list positions read `[]` (`sinks[].host`).
        var path: String
        var type: String
        /// The default, `required`, or nil for an optional key without one.
        var fallback: String?
        var constraint: String?
    }

    private(set) var keys: [Key] = []
    private var seen: Set<String> = []

    /// The first description of a path wins (an optional key read through
    /// a required accessor is still optional).
    func record(path: String, type: String, fallback: String?, constraint: String?) {
        var normalised = ""
        var inBrackets = false
        for character in path {
            if character == "[" {
                inBrackets = true
                normalised += "[]"
            } else if character == "]" {
                inBrackets = false
            } else if !inBrackets {
                normalised.append(character)
            }
        }
        guard seen.insert(normalised).inserted else { return }
        keys.append(Key(path: normalised, type: type, fallback: fallback, constraint: constraint))
    }
}
