import AuditEvent
import CSimdjson

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes raw Kafka message bytes into ``AuditEvent`` values with simdjson.
///
/// One instance owns one simdjson parser and its buffers, so it is neither
/// shareable nor thread-safe: give each consuming task its own. Every failure
/// is an ``AuditEventError`` naming the field and rule; no input traps.
public final class AuditEventDecoder {
    /// Bounds that keep a hostile message from costing more than a normal one by much.
    public struct Limits: Sendable, Hashable {
        /// Longest accepted message; the contract's default is 1 MiB.
        public var maxMessageBytes: Int
        /// Deepest accepted nesting of objects and arrays.
        public var maxDepth: Int
        /// Most tape entries in one message: one per JSON value, plus one per
        /// closing bracket and per number; bounds the parser's memory.
        public var maxValues: Int

        public init(maxMessageBytes: Int = 1 << 20, maxDepth: Int = 64, maxValues: Int = 1 << 18) {
            self.maxMessageBytes = maxMessageBytes
            self.maxDepth = maxDepth
            self.maxValues = maxValues
        }
    }

    public let limits: Limits
    private let parser: OpaquePointer

    /// Fails only when the parser's buffers cannot be allocated.
    public init(limits: Limits = Limits()) throws(AuditEventError) {
        guard limits.maxMessageBytes > 0, limits.maxDepth > 0, limits.maxValues > 0,
            let parser = csj_parser_create(limits.maxMessageBytes, limits.maxDepth, limits.maxValues)
        else {
            throw AuditEventError(.internalError, reason: "could not allocate the JSON parser")
        }
        self.limits = limits
        self.parser = parser
    }

    deinit {
        csj_parser_destroy(parser)
    }

    /// Decodes and validates one message; the event keeps `raw` (shared, not copied).
    public func decode(_ raw: [UInt8]) throws(AuditEventError) -> AuditEvent {
        let reader = try raw.withUnsafeBufferPointer { (bytes) throws(AuditEventError) in try parse(bytes) }
        return try AuditEvent.build { (fields) throws(AuditEventError) in
            try reader.readEvent(into: &fields)
            fields.raw = raw
        }
    }

    /// Decodes one message held elsewhere; the event gets a copy of the bytes.
    public func decode(_ bytes: UnsafeRawBufferPointer) throws(AuditEventError) -> AuditEvent {
        let reader = try parse(bytes.bindMemory(to: UInt8.self))
        return try AuditEvent.build { (fields) throws(AuditEventError) in
            try reader.readEvent(into: &fields)
            fields.raw = Array(bytes)
        }
    }

    /// Parses with simdjson. The reader it returns points into the parser's
    /// buffers, not into `bytes`, and is valid until the next parse.
    func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(AuditEventError) -> TapeReader {
        guard let base = bytes.baseAddress, !bytes.isEmpty else {
            throw AuditEventError(.emptyMessage, reason: "the message has no bytes (empty payload or tombstone)")
        }
        if bytes.count > limits.maxMessageBytes {
            throw AuditEventError(
                .messageTooLarge,
                reason: "\(bytes.count) bytes is over the limit of \(limits.maxMessageBytes)"
            )
        }
        var document = csj_document()
        let status = csj_parse(parser, base, bytes.count, &document)
        if status != CSJ_OK {
            // A raw NUL is never valid JSON, so simdjson has rejected it already;
            // looking for one only on failure keeps the scan off the hot path.
            if let nul = memchr(base, 0, bytes.count) {
                let offset = UnsafeRawPointer(nul) - UnsafeRawPointer(base)
                throw AuditEventError(.nulByte, reason: "a NUL byte at offset \(offset)")
            }
            if status == CSJ_INVALID_JSON, Self.endsInsideValue(bytes) {
                throw AuditEventError(.truncated, reason: String(cString: csj_status_message(CSJ_TRUNCATED)))
            }
            throw TapeReader.parseError(status)
        }
        return TapeReader(tape: document.tape, strings: document.strings, parser: parser)
    }

    /// True when the text ends inside a string or with objects or arrays
    /// still open: simdjson reports most truncations as a generic syntax
    /// error, and "truncated" tells an operator where to look.
    static func endsInsideValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var depth = 0
        var inString = false
        var escaped = false
        for byte in bytes {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth < 0 { return false }
            default: break
            }
        }
        return inString || depth > 0
    }
}
