/// The value rules of the `mcp.audit/1` contract that are not about JSON types.
///
/// The decoder applies them while reading; they live here so that any other
/// producer of events (the generator, the detection engine's alerts) can hold
/// itself to the same contract.
public enum Rules {
    /// `event_id` fits CEF `externalId`.
    public static let eventIDMaxCharacters = 40
    /// `outcome.error_message` limit.
    public static let errorMessageMaxCharacters = 1023
    /// HTTP status codes the contract accepts.
    public static let httpStatusRange: ClosedRange<Int64> = 100...599

    /// Checks an `event_id`: 1 to 40 characters (Unicode scalars), no control characters.
    public static func checkEventID(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.isEmpty { return "must not be empty" }
        var scalars = 0
        for byte in bytes {
            if byte < 0x20 || byte == 0x7F { return "must not contain control characters" }
            // Count scalar starts: every byte that is not a UTF-8 continuation byte.
            if byte & 0xC0 != 0x80 { scalars += 1 }
        }
        if scalars > eventIDMaxCharacters { return "longer than \(eventIDMaxCharacters) characters" }
        return nil
    }

    /// Counts Unicode scalars in valid UTF-8 without decoding.
    public static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }
}
