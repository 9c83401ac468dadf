/// A part of a storage: every name under `prefix/`. One log of the archive
/// sees its own names only.
public struct PrefixedStorage: LedgerStorage {
    public let base: any LedgerStorage
    public let prefix: String

    public init(_ base: any LedgerStorage, prefix: String) {
        self.base = base
        self.prefix = prefix
    }

    public var location: String { base.location + "/" + prefix }

    private func full(_ name: String) -> String { prefix + "/" + name }

    public func read(_ name: String) throws(LedgerError) -> [UInt8]? { try base.read(full(name)) }
    public func exists(_ name: String) throws(LedgerError) -> Bool { try base.exists(full(name)) }
    public func create(_ name: String, _ bytes: [UInt8]) throws(LedgerError) -> CreateOutcome {
        try base.create(full(name), bytes)
    }
    public func createAll(_ objects: [(name: String, bytes: [UInt8])]) throws(LedgerError) -> [CreateOutcome] {
        try base.createAll(objects.map { (full($0.name), $0.bytes) })
    }
    public func list(prefix inner: String, startAfter: String?, limit: Int) throws(LedgerError) -> [String] {
        let strip = prefix.utf8.count + 1
        return try base.list(prefix: full(inner), startAfter: startAfter.map(full), limit: limit)
            .map { String($0.dropFirst(strip)) }
    }
}
