import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Running the real tools the tests check against (kcat, psql, promtool,
/// curl, the harness's scripts), in one place for every test target.
public enum Subprocess {
    /// Runs a program to its end; returns its exit status and standard
    /// output (standard error too when `errors`). `input` goes to its
    /// standard input.
    public static func run(
        _ path: String,
        _ arguments: [String],
        input: Data? = nil,
        environment: [String: String]? = nil,
        errors: Bool = false
    ) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors ? output : FileHandle.nullDevice
        let feed = input.map { _ in Pipe() }
        if let feed { process.standardInput = feed }
        try process.run()
        if let feed, let input {
            feed.fileHandleForWriting.write(input)
            try feed.fileHandleForWriting.close()
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Runs a script with no pipes and waits with waitpid. For scripts that
    /// start daemons (pg_ctl, rsyslogd): Foundation's Process missed the
    /// exit of these short scripts here and waited forever.
    public static func script(_ path: String) -> Int32 {
        var pid: pid_t = 0
        let arguments = [strdup(path), nil]
        defer { free(arguments[0]) }
        guard posix_spawn(&pid, path, nil, nil, arguments, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        return status
    }
}
