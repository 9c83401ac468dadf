#if canImport(Glibc)
import Glibc
#endif

/// The POSIX file steps every durable store here shares (the jsonl sink,
/// detection snapshots, the SIEM spool, the ledger). Blocking: call them
/// off the cooperative pool. Failures come back as text naming the path
/// and the system's reason, never the data.
public enum FileWrites {
    /// Writes every byte to `descriptor`, retrying short writes and EINTR.
    public static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) -> String? {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                return "cannot write '\(path)': \(reason())"
            }
            written += result
        }
        return nil
    }

    /// `writeAll`, then fsync.
    public static func writeDurably(_ bytes: [UInt8], to descriptor: Int32, path: String) -> String? {
        if let failure = writeAll(bytes, to: descriptor, path: path) { return failure }
        return fsync(descriptor) == 0 ? nil : "cannot fsync '\(path)': \(reason())"
    }

    /// Like `mkdir -p`.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) -> String? {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, mode) != 0 && errno != EEXIST { return "cannot create '\(partial)': \(reason())" }
        }
        return nil
    }

    /// fsyncs the directory holding `path`, so that a rename in it survives a
    /// power cut; best effort.
    public static func syncDirectory(of path: String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    public static func reason() -> String { String(cString: strerror(errno)) }
}
