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
        // Branch-free passes: note any control character, then, only when
        // the bytes could hold more than 40 characters, count scalar starts
        // (bytes that are not UTF-8 continuation bytes).
        var control: UInt8 = 0
        for byte in bytes {
            control |= (byte < 0x20 ? 1 : 0) | (byte == 0x7F ? 1 : 0)
        }
        if control != 0 { return "must not contain control characters" }
        if bytes.count > eventIDMaxCharacters {
            var scalars = 0
            for byte in bytes { scalars &+= byte & 0xC0 != 0x80 ? 1 : 0 }
            if scalars > eventIDMaxCharacters { return "longer than \(eventIDMaxCharacters) characters" }
        }
        return nil
    }

    /// Counts Unicode scalars in valid UTF-8 without decoding.
    public static func scalarCount(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var count = 0
        for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
        return count
    }
}
