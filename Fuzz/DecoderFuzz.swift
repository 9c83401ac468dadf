// libFuzzer entry point for the mcp.audit/1 decoder (`make fuzz`).
// Any input must either decode or throw AuditEventError; a trap, a sanitizer
// report or a decoded event without its raw bytes is a finding.
import AuditDecoder
import AuditEvent

nonisolated(unsafe) private var decoder = try! AuditEventDecoder(limits: .init(maxMessageBytes: 64 << 10))

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let event = try decoder.decode(bytes)
        if event.raw != bytes || event.eventID.isEmpty { fatalError("decoded event lost its bytes or id") }
        // What decodes must re-encode to JSON that decodes to the same fields.
        // Unknown members come back grouped under their parent objects, so
        // compare them by path: their order across parents carries no meaning.
        var again = try decoder.decode(event.jsonBytes())
        var original = event
        again.raw = bytes
        again.unknownFields.sort { $0.path.lexicographicallyPrecedes($1.path) }
        original.unknownFields.sort { $0.path.lexicographicallyPrecedes($1.path) }
        if again != original { fatalError("re-encoding changed the event") }
    } catch {
        if error.reason.isEmpty { fatalError("an error without a reason") }
    }
    return 0
}
