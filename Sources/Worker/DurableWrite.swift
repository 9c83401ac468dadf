#if canImport(Glibc)
import Glibc
#endif

/// Writes every byte to `descriptor` (retrying short writes and EINTR), then
/// fsyncs it. Returns nil on success, or what failed, naming `path` only.
/// Blocking: call it off the cooperative pool.
func writeDurably(_ bytes: [UInt8], to descriptor: Int32, path: String) -> String? {
    var written = 0
    while written < bytes.count {
        let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
        if result < 0 {
            if errno == EINTR { continue }
            return "cannot write '\(path)': \(String(cString: strerror(errno)))"
        }
        written += result
    }
    return fsync(descriptor) == 0 ? nil : "cannot fsync '\(path)': \(String(cString: strerror(errno)))"
}
