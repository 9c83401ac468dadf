import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Where a command or a store writes its output, chosen by what the path is
/// now: a regular file (or nothing yet) is replaced atomically, a temporary
/// file beside it renamed over it once everything is written; anything else
/// (a character device such as /dev/null, a FIFO, a socket, /dev/stdout) is
/// written in place and never replaced. `-` is standard output.
///
/// Renaming over a special file would destroy it: replacing /dev/null with a
/// regular file breaks every later process on the machine that writes to it.
/// Blocking: call it off the cooperative pool on hot paths.
public final class OutputFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// How the path is being written.
    public enum Mode: Sendable, Equatable {
        /// Into a temporary file renamed over the path by ``finish()``.
        case atomicReplace(temporary: String)
        /// Straight into the path (a device, FIFO, socket or standard output).
        case inPlace
    }

    public let path: String
    public let mode: Mode
    private let descriptor: Int32
    private var finished = false

    /// Opens `path` for writing. `permissions` apply to a new regular file.
    public init(path: String, permissions: mode_t = 0o644) throws(Failure) {
        self.path = path
        if path == "-" {
            descriptor = STDOUT_FILENO
            mode = .inPlace
            return
        }
        if Self.isSpecial(path) {
            // No O_CREAT, no O_TRUNC: the path exists and is not ours to replace.
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw Failure(description: "cannot open '\(path)' for writing: \(FileWrites.reason())")
            }
            descriptor = fd
            mode = .inPlace
            return
        }
        let temporary = Self.temporaryName(for: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_EXCL | O_CLOEXEC, permissions)
        guard fd >= 0 else {
            throw Failure(description: "cannot create '\(temporary)' to write '\(path)': \(FileWrites.reason())")
        }
        descriptor = fd
        mode = .atomicReplace(temporary: temporary)
    }

    deinit {
        // Not finished (an error on the way): leave the old file as it was.
        guard !finished else { return }
        if case .atomicReplace(let temporary) = mode {
            close(descriptor)
            unlink(temporary)
        } else if descriptor != STDOUT_FILENO {
            close(descriptor)
        }
    }

    /// True when `path` exists and is not a regular file (symbolic links followed).
    public static func isSpecial(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return status.st_mode & S_IFMT != S_IFREG
    }

    public func write(_ bytes: [UInt8]) throws(Failure) {
        guard !bytes.isEmpty else { return }
        if let failure = FileWrites.writeAll(bytes, to: descriptor, path: path) { throw Failure(description: failure) }
    }

    /// Makes the output final: a regular file is fsynced and renamed over the
    /// path (`durable` also fsyncs the directory); a special file is closed.
    public func finish(durable: Bool = false) throws(Failure) {
        guard !finished else { return }
        finished = true
        switch mode {
        case .inPlace:
            if descriptor != STDOUT_FILENO { close(descriptor) }
        case .atomicReplace(let temporary):
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else {
                unlink(temporary)
                throw Failure(description: "cannot fsync '\(temporary)': \(FileWrites.reason())")
            }
            guard rename(temporary, path) == 0 else {
                let reason = FileWrites.reason()
                unlink(temporary)
                throw Failure(description: "cannot rename '\(temporary)' to '\(path)': \(reason)")
            }
            if durable { FileWrites.syncDirectory(of: path) }
        }
    }

    /// Writes `bytes` as the whole content of `path` (see the type's rules).
    public static func replace(
        _ path: String,
        with bytes: [UInt8],
        permissions: mode_t = 0o644,
        durable: Bool = false
    ) throws(Failure) {
        let output = try OutputFile(path: path, permissions: permissions)
        try output.write(bytes)
        try output.finish(durable: durable)
    }

    /// `.name.tmp-PID-N` in the same directory, so that rename stays on one file system.
    private static func temporaryName(for path: String) -> String {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let number = counter.add(1, ordering: .relaxed).newValue
        return "\(directory).\(name).tmp-\(getpid())-\(number)"
    }

    private static let counter = Atomic<Int>(0)
}
