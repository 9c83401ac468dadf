import Blocking
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

public struct LedgerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// File operations of the ledger, relative to its directory. Writes that
/// must survive a crash go to `<name>.tmp`, are fsynced, then renamed; the
/// directories that received new names are fsynced after.
struct LedgerFiles {
    let root: String

    func path(_ relative: String) -> String { root + "/" + relative }

    func exists(_ relative: String) -> Bool { access(path(relative), F_OK) == 0 }

    func makeDirectories(for relative: String) throws(LedgerError) {
        let directory = relative.split(separator: "/").dropLast().joined(separator: "/")
        guard !directory.isEmpty else { return }
        if let failure = FileWrites.makeDirectories(path(directory)) { throw LedgerError(failure) }
    }

    func read(_ relative: String) throws(LedgerError) -> [UInt8] {
        let fd = open(path(relative), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LedgerError("cannot open \(relative): \(Self.reason())") }
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        var data = [UInt8](repeating: 0, count: Int(info.st_size))
        var offset = 0
        while offset < data.count {
            let got = data.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + offset, $0.count - offset) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else { throw LedgerError("cannot read \(relative): \(Self.reason())") }
            offset += got
        }
        return data
    }

    func readIfPresent(_ relative: String) throws(LedgerError) -> [UInt8]? {
        exists(relative) ? try read(relative) : nil
    }

    /// Writes and fsyncs every `<path>.tmp` at once, on all cores: creating
    /// inodes and syncing them is the ledger's bottleneck, and concurrent
    /// fsyncs share the file system's flushes.
    func writeTemporaryDurably(_ written: [(path: String, bytes: [UInt8])], readOnly: Bool) throws(LedgerError) {
        guard !written.isEmpty else { return }
        for directory in Self.directories(of: written.map(\.path)) where directory != "." {
            try makeDirectories(for: directory + "/x")
        }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: written.count) { index in
            let file = path(written[index].path) + ".tmp"
            unlink(file)
            let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, readOnly ? 0o444 : 0o644)
            guard fd >= 0 else {
                return failures.add("cannot create '\(written[index].path).tmp': \(Self.reason())")
            }
            defer { close(fd) }
            let name = written[index].path + ".tmp"
            if let failure = FileWrites.writeDurably(written[index].bytes, to: fd, path: name) { failures.add(failure) }
        }
        if let failed = failures.first { throw LedgerError(failed) }
    }

    /// fsyncs every file at once (the journal groups concurrent fsyncs).
    func sync(_ relatives: [String]) throws(LedgerError) {
        guard !relatives.isEmpty else { return }
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: relatives.count) { index in
            let fd = open(path(relatives[index]), O_RDONLY | O_CLOEXEC)
            if fd < 0 || fsync(fd) != 0 { failures.add(relatives[index]) }
            if fd >= 0 { close(fd) }
        }
        if let failed = failures.first { throw LedgerError("cannot fsync \(failed): \(Self.reason())") }
    }

    func rename(_ relative: String) throws(LedgerError) {
        guard Glibc.rename(path(relative) + ".tmp", path(relative)) == 0 else {
            throw LedgerError("cannot rename \(relative).tmp: \(Self.reason())")
        }
    }

    /// The directories holding `relatives`, each once.
    static func directories(of relatives: [String]) -> [String] {
        var seen = Set<String>()
        var out: [String] = []
        for relative in relatives {
            let directory = relative.split(separator: "/").dropLast().joined(separator: "/")
            let name = directory.isEmpty ? "." : directory
            if seen.insert(name).inserted { out.append(name) }
        }
        return out
    }

    /// Writes a small file durably: tmp, fsync, rename, fsync its directory.
    func writeDurably(_ relative: String, _ bytes: [UInt8], readOnly: Bool = false) throws(LedgerError) {
        try writeTemporaryDurably([(relative, bytes)], readOnly: readOnly)
        try rename(relative)
        try sync(Self.directories(of: [relative]))
    }

    func remove(_ relative: String) { unlink(path(relative)) }

    /// Removes a directory of plain files (a tile's partial versions), if present.
    func removeDirectory(_ relative: String) {
        guard let directory = opendir(path(relative)) else { return }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { unlink(path(relative) + "/" + name) }
        }
        closedir(directory)
        rmdir(path(relative))
    }

    /// Appends to a file that is not fsynced here (the caller syncs it).
    func append(_ relative: String, _ bytes: [UInt8]) throws(LedgerError) {
        let fd = open(path(relative), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LedgerError("cannot open \(relative): \(Self.reason())") }
        defer { close(fd) }
        try Self.writeAll(fd, bytes, name: relative)
    }

    func truncate(_ relative: String, to length: Int) throws(LedgerError) {
        if exists(relative), Glibc.truncate(path(relative), off_t(length)) != 0 {
            throw LedgerError("cannot truncate \(relative): \(Self.reason())")
        }
    }

    func size(_ relative: String) -> Int? {
        var info = stat()
        return stat(path(relative), &info) == 0 ? Int(info.st_size) : nil
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], name: String) throws(LedgerError) {
        if let failure = FileWrites.writeAll(bytes, to: fd, path: name) { throw LedgerError(failure) }
    }

    static func reason() -> String { String(cString: strerror(errno)) }

    private final class Failures: @unchecked Sendable {
        private var names: [String] = []
        private let lock = DispatchQueue(label: "countersign.ledger.failures")
        func add(_ name: String) { lock.sync { names.append(name) } }
        var first: String? { lock.sync { names.first } }
    }
}
