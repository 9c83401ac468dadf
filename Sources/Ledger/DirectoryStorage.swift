import Blocking

#if canImport(Glibc)
import Glibc
#endif

/// A ledger in a local directory (one host, tests). An object is created
/// by writing and fsyncing `<name>.<random>.tmp`, then `link(2)`ing it to
/// its name, which fails when the name exists: the same create-once
/// semantics as a conditional PUT, so two writers on one directory can
/// never both win a name. Files are made read-only.
public struct DirectoryStorage: LedgerStorage {
    public let root: String
    public var location: String { root }

    /// For reading only: no directory is made (a missing one reads as empty).
    public init(reading root: String) { self.root = root }

    public init(root: String) throws(LedgerError) {
        self.root = root
        if let failure = FileWrites.makeDirectories(root) { throw LedgerError(failure) }
    }

    private func path(_ name: String) -> String { root + "/" + name }

    public func read(_ name: String) throws(LedgerError) -> [UInt8]? {
        let fd = open(path(name), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw LedgerError("cannot open \(name) in \(root): \(Self.reason())")
        }
        defer { close(fd) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if got < 0 && errno == EINTR { continue }
            guard got >= 0 else { throw LedgerError("cannot read \(name) in \(root): \(Self.reason())") }
            if got == 0 { return data }
            data += buffer[0..<got]
        }
    }

    public func exists(_ name: String) throws(LedgerError) -> Bool { access(path(name), F_OK) == 0 }

    public func create(_ name: String, _ bytes: [UInt8]) throws(LedgerError) -> CreateOutcome {
        let full = path(name)
        let directory = String(full[..<(full.lastIndex(of: "/") ?? full.endIndex)])
        if let failure = FileWrites.makeDirectories(directory) { throw LedgerError(failure) }
        if access(full, F_OK) == 0 { return .exists }
        let temporary = full + ".\(UInt64.random(in: 0...UInt64.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
        guard fd >= 0 else { throw LedgerError("cannot create \(name).tmp in \(root): \(Self.reason())") }
        let failure = FileWrites.writeDurably(bytes, to: fd, path: name)
        close(fd)
        defer { unlink(temporary) }
        if let failure { throw LedgerError(failure) }
        guard link(temporary, full) == 0 else {
            if errno == EEXIST { return .exists }
            throw LedgerError("cannot link \(name) in \(root): \(Self.reason())")
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            defer { close(directoryFD) }
            guard fsync(directoryFD) == 0 else { throw LedgerError("cannot fsync \(directory): \(Self.reason())") }
        }
        return .created
    }

    /// Side by side: creating inodes and syncing them is a local ledger's
    /// bottleneck, and concurrent fsyncs share the file system's flushes.
    public func createAll(_ objects: [(name: String, bytes: [UInt8])]) throws(LedgerError) -> [CreateOutcome] {
        try createConcurrently(objects, width: 8)
    }

    public func list(prefix: String, startAfter: String?, limit: Int) throws(LedgerError) -> [String] {
        // The directory part of the prefix, walked recursively; names sorted
        // as bytes like an S3 listing.
        let base = prefix.lastIndex(of: "/").map { String(prefix[..<$0]) } ?? ""
        var names: [String] = []
        walk(base, into: &names)
        let sorted = names.filter { $0.hasPrefix(prefix) && !$0.hasSuffix(".tmp") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let after = sorted.drop { name in startAfter.map { !$0.utf8.lexicographicallyPrecedes(name.utf8) } ?? false }
        return Array(after.prefix(limit))
    }

    private func walk(_ relative: String, into names: inout [String]) {
        guard let directory = opendir(relative.isEmpty ? root : path(relative)) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name != "." && name != ".." else { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            if entry.pointee.d_type == UInt8(DT_DIR) {
                walk(child, into: &names)
            } else {
                names.append(child)
            }
        }
    }

    static func reason() -> String { String(cString: strerror(errno)) }
}
