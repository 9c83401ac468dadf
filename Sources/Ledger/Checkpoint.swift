import Foundation

/// The body of a C2SP tlog-checkpoint: origin, tree size, root hash
/// (standard base64), optional extension lines, each ending in `\n`.
public struct Checkpoint: Sendable, Hashable {
    public var origin: String
    public var size: UInt64
    public var root: Hash
    public var extensions: [String] = []

    public init(origin: String, size: UInt64, root: Hash, extensions: [String] = []) {
        self.origin = origin
        self.size = size
        self.root = root
        self.extensions = extensions
    }

    public var text: String {
        ([origin, String(size), root.base64] + extensions).map { $0 + "\n" }.joined()
    }

    public init(text: String) throws(LedgerKeyError) {
        guard text.hasSuffix("\n") else { throw LedgerKeyError(description: "a checkpoint ends with a newline") }
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count >= 3, !lines[0].isEmpty else {
            throw LedgerKeyError(description: "a checkpoint has an origin, a size and a root")
        }
        guard let size = UInt64(lines[1]), String(size) == lines[1] else {
            throw LedgerKeyError(description: "the checkpoint's size is not a decimal without leading zeros")
        }
        guard let root = Hash(base64: lines[2]) else {
            throw LedgerKeyError(description: "the checkpoint's root is not a base64 SHA-256 hash")
        }
        origin = String(lines[0])
        self.size = size
        self.root = root
        extensions = lines.dropFirst(3).map(String.init)
    }
}
