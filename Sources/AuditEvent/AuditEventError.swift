/// Why a message is not a valid `mcp.audit/1` event.
///
/// It names the field and the rule that failed and never the offending value,
/// so it can go to logs and to dead-letter headers without leaking payloads.
public struct AuditEventError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The class of failure; stable strings, suitable for a metric label.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        public let name: String

        private init(_ name: String) { self.name = name }

        public var description: String { name }

        /// The message has no bytes (a tombstone, or an empty payload).
        public static let emptyMessage = Code("empty_message")
        /// The message is longer than the configured limit.
        public static let messageTooLarge = Code("message_too_large")
        /// A NUL byte in the raw message.
        public static let nulByte = Code("nul_byte")
        public static let invalidUTF8 = Code("invalid_utf8")
        /// Not valid JSON (syntax).
        public static let invalidJSON = Code("invalid_json")
        /// The JSON ends before its last value closes.
        public static let truncated = Code("truncated")
        /// An unescaped control character inside a JSON string.
        public static let controlCharacter = Code("control_character")
        /// A number that is malformed or outside what the field can hold.
        public static let numberOutOfRange = Code("number_out_of_range")
        /// Nesting deeper than the configured limit.
        public static let tooDeep = Code("too_deep")
        /// More JSON values than the configured limit.
        public static let tooManyValues = Code("too_many_values")
        /// One object holds the same key twice.
        public static let duplicateKey = Code("duplicate_key")
        /// The message is valid JSON but not an object.
        public static let notAnObject = Code("not_an_object")
        /// `schema` is not `mcp.audit/1`.
        public static let unsupportedSchema = Code("unsupported_schema")
        /// A required field is absent (or null).
        public static let missingField = Code("missing_field")
        /// A field has the wrong JSON type.
        public static let wrongType = Code("wrong_type")
        /// A field has the right type but breaks a rule (length, enum, format, range).
        public static let invalidValue = Code("invalid_value")
        /// `occurred_at` is a valid date-time outside ``AuditEvent/occurredAtRange``,
        /// what every sink (PostgreSQL's day partitions among them) can store.
        public static let timestampOutOfRange = Code("timestamp_out_of_range")
        /// Not a valid protocol buffer of the expected message (an OTLP export request).
        public static let invalidProtobuf = Code("invalid_protobuf")
        /// A CEF line whose header or extension does not parse.
        public static let invalidCEF = Code("invalid_cef")
        /// A gateway record that names no MCP call the mapping can place
        /// (dead-lettered only when `mapping.other_records` asks for it).
        public static let notAnMCPRecord = Code("not_an_mcp_record")
        /// The decoder itself failed (out of memory); the message may be fine.
        public static let internalError = Code("internal_error")
    }

    public var code: Code
    /// Dotted path of the field at fault (`actor.id`), or nil for the whole message.
    public var field: String?
    /// What rule failed, in words that never quote the value.
    public var reason: String

    public init(_ code: Code, field: String? = nil, reason: String) {
        self.code = code
        self.field = field
        self.reason = reason
    }

    public var description: String {
        if let field {
            return "\(code): field '\(field)': \(reason)"
        }
        return "\(code): \(reason)"
    }
}
