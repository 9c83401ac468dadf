import Blocking
import DequeModule

#if canImport(Glibc)
import Glibc
#endif

/// Where messages wait while the collector is unreachable, and what happens
/// when that space is used up.
public struct SpoolSettings: Sendable, Hashable {
    public enum WhenFull: String, Sendable, Hashable, CaseIterable {
        /// Refuse the batch: the worker pauses and retries, Kafka keeps the
        /// events (nothing is lost; consumption stops until space frees).
        case block
        /// Drop the messages that do not fit (counted).
        case dropNewest = "drop_newest"
        /// Drop the oldest spooled messages, a segment at a time (counted).
        case dropOldest = "drop_oldest"
    }

    public var directory: String
    public var maxBytes: Int
    public var whenFull: WhenFull
    /// Size at which a new segment file starts; full segments are deleted
    /// once drained.
    public var segmentBytes: Int

    public init(
        directory: String,
        maxBytes: Int = 256 << 20,
        whenFull: WhenFull = .block,
        segmentBytes: Int = 8 << 20
    ) {
        self.directory = directory
        self.maxBytes = maxBytes
        self.whenFull = whenFull
        self.segmentBytes = segmentBytes
    }
}

public struct SpoolError: Error, CustomStringConvertible, Sendable {
    public var description: String
}

/// A FIFO of messages on disk: numbered segment files of records (a 4-byte
/// big-endian length, then the message). Appends are fsynced before they
/// return, so a spooled message survives a crash; the read position is
/// kept in `cursor` without fsync (after a crash at most the head segment's
/// already-sent part is sent again). A torn record at the end of the last
/// segment (a crash during an append that was never acknowledged) is cut
/// off when the spool opens. Not thread-safe: its owner calls it from one
/// serial queue.
final class SyslogSpool {
    let settings: SpoolSettings
    private struct Segment {
        var id: Int64
        /// The file's size.
        var bytes: Int
        /// Bytes at the front already sent.
        var offset = 0
        /// Messages not yet sent.
        var messages: Int
    }
    private var segments: Deque<Segment> = []
    /// The head segment's file, loaded when draining starts on it.
    private var cache: (id: Int64, data: [UInt8])?
    /// Bytes and messages not yet drained.
    private(set) var bytes = 0
    private(set) var count = 0

    private static let firstID: Int64 = 1 << 40

    init(settings: SpoolSettings) throws(SpoolError) {
        self.settings = settings
        if let failure = FileWrites.makeDirectories(settings.directory, mode: 0o700) {
            throw SpoolError(description: failure)
        }
        var ids: [Int64] = []
        guard let directory = opendir(settings.directory) else {
            throw SpoolError(description: "cannot read the spool directory \(settings.directory): \(Self.reason())")
        }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name.hasSuffix(".spool"), let id = Int64(name.dropLast(6)) { ids.append(id) }
        }
        closedir(directory)
        for id in ids.sorted() {
            let data = try read(id)
            let (messages, complete) = Self.scan(data)
            if complete < data.count {
                guard truncate(path(id), off_t(complete)) == 0 else {
                    throw SpoolError(description: "cannot repair the spool segment \(path(id)): \(Self.reason())")
                }
            }
            if messages == 0 {
                unlink(path(id))
                continue
            }
            segments.append(Segment(id: id, bytes: complete, messages: messages))
            bytes += complete
            count += messages
        }
        // Resume where the last drain stopped inside partly sent segments.
        if let cursor = try? read(cursorPath), let text = String(validating: cursor, as: UTF8.self) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let id = Int64(parts[0]), let offset = Int(parts[1]),
                    let index = segments.firstIndex(where: { $0.id == id }), offset <= segments[index].bytes
                else { continue }
                let data = try read(id)
                let sent = Self.scan(Array(data[..<offset]))
                guard sent.complete == offset else { continue }
                segments[index].offset = offset
                segments[index].messages -= sent.messages
                bytes -= offset
                count -= sent.messages
            }
        }
    }

    var isEmpty: Bool { count == 0 }

    /// Appends at the tail and fsyncs. Returns how many messages were
    /// dropped under the when-full policy; throws when `block` refuses.
    @discardableResult
    func append(_ messages: [[UInt8]]) throws(SpoolError) -> Int {
        guard !messages.isEmpty else { return 0 }
        var accepted = messages
        var dropped = 0
        let needed = messages.reduce(0) { $0 + 4 + $1.count }
        if bytes + needed > settings.maxBytes {
            switch settings.whenFull {
            case .block:
                throw SpoolError(
                    description: "the spool is full (\(bytes) of \(settings.maxBytes) bytes); the batch waits"
                )
            case .dropOldest:
                while bytes + needed > settings.maxBytes, segments.count > 0 {
                    dropped += try dropHeadSegment()
                }
                fallthrough
            case .dropNewest:
                var room = settings.maxBytes - bytes
                var fit = 0
                while fit < accepted.count, room >= 4 + accepted[fit].count {
                    room -= 4 + accepted[fit].count
                    fit += 1
                }
                dropped += accepted.count - fit
                accepted.removeSubrange(fit...)
            }
        }
        guard !accepted.isEmpty else { return dropped }
        let records = Self.records(accepted)
        if let last = segments.last, last.bytes < settings.segmentBytes {
            try write(records, to: last.id, creating: false)
            segments[segments.count - 1].bytes += records.count
            segments[segments.count - 1].messages += accepted.count
            if cache?.id == last.id { cache!.data += records }
        } else {
            let id = (segments.last?.id ?? Self.firstID - 1) + 1
            try write(records, to: id, creating: true)
            segments.append(Segment(id: id, bytes: records.count, messages: accepted.count))
        }
        bytes += records.count
        count += accepted.count
        return dropped
    }

    /// Puts messages in front of everything spooled (the replay of a broken
    /// connection, which is older than anything here). Not subject to the
    /// size limit: the replay ring bounds it.
    func prepend(_ messages: [[UInt8]]) throws(SpoolError) {
        guard !messages.isEmpty else { return }
        let records = Self.records(messages)
        let id = (segments.first?.id ?? Self.firstID) - 1
        try write(records, to: id, creating: true)
        segments.prepend(Segment(id: id, bytes: records.count, messages: messages.count))
        bytes += records.count
        count += messages.count
    }

    /// Up to `limit` messages from the head, oldest first, without removing them.
    func peek(limit: Int) throws(SpoolError) -> [[UInt8]] {
        guard let first = segments.first else { return [] }
        if cache?.id != first.id { cache = (first.id, try read(first.id)) }
        let data = cache!.data
        var messages: [[UInt8]] = []
        var offset = first.offset
        while messages.count < limit, offset + 4 <= data.count {
            let length = Self.length(data, at: offset)
            messages.append(Array(data[(offset + 4)..<(offset + 4 + length)]))
            offset += 4 + length
        }
        return messages
    }

    /// Removes the first `n` messages, which `peek` returned and were sent.
    func advance(_ n: Int) throws(SpoolError) {
        guard let first = segments.first, let data = cache?.data, cache?.id == first.id else { return }
        var offset = first.offset
        for _ in 0..<min(n, first.messages) { offset += 4 + Self.length(data, at: offset) }
        bytes -= offset - first.offset
        count -= min(n, first.messages)
        segments[0].offset = offset
        segments[0].messages -= min(n, first.messages)
        if segments[0].messages == 0 {
            unlink(path(first.id))
            segments.removeFirst()
            cache = nil
        }
        saveCursor()
    }

    /// Drops the oldest segment; returns how many messages it still held.
    private func dropHeadSegment() throws(SpoolError) -> Int {
        guard let first = segments.popFirst() else { return 0 }
        if cache?.id == first.id { cache = nil }
        bytes -= first.bytes - first.offset
        count -= first.messages
        unlink(path(first.id))
        saveCursor()
        return first.messages
    }

    /// The read positions of partly sent segments, replaced atomically and
    /// not fsynced: losing it only means sending those messages again.
    private func saveCursor() {
        let lines = segments.filter { $0.offset > 0 }.map { "\($0.id) \($0.offset)\n" }.joined()
        guard !lines.isEmpty else {
            unlink(cursorPath)
            return
        }
        let text = Array(lines.utf8)
        let fd = open(cursorPath + ".tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = text.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        rename(cursorPath + ".tmp", cursorPath)
    }

    // MARK: Files

    private var cursorPath: String { settings.directory + "/cursor" }

    private func path(_ id: Int64) -> String {
        let digits = String(id)
        return settings.directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".spool"
    }

    private func read(_ id: Int64) throws(SpoolError) -> [UInt8] { try read(path(id)) }

    private func read(_ file: String) throws(SpoolError) -> [UInt8] {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw SpoolError(description: "cannot open \(file): \(Self.reason())") }
        defer { close(fd) }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw SpoolError(description: "cannot read \(file): \(Self.reason())")
            }
            if got == 0 { return data }
            data += chunk[..<got]
        }
    }

    private func write(_ records: [UInt8], to id: Int64, creating: Bool) throws(SpoolError) {
        let file = path(id)
        let flags = O_WRONLY | O_APPEND | O_CLOEXEC | (creating ? O_CREAT | O_EXCL : 0)
        let fd = open(file, flags, 0o600)
        guard fd >= 0 else { throw SpoolError(description: "cannot open \(file): \(Self.reason())") }
        defer { close(fd) }
        if let failure = FileWrites.writeAll(records, to: fd, path: file) { throw SpoolError(description: failure) }
        guard fsync(fd) == 0 else { throw SpoolError(description: "cannot fsync \(file): \(Self.reason())") }
        if creating {
            // The new name must survive a crash too.
            let directory = open(settings.directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if directory >= 0 {
                fsync(directory)
                close(directory)
            }
        }
    }

    // MARK: Records

    static func records(_ messages: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(messages.reduce(0) { $0 + 4 + $1.count })
        for message in messages {
            let length = UInt32(message.count)
            out += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
            out += message
        }
        return out
    }

    private static func length(_ data: [UInt8], at offset: Int) -> Int {
        Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
    }

    /// Complete records in `data`: how many, and where the last one ends.
    static func scan(_ data: [UInt8]) -> (messages: Int, complete: Int) {
        var offset = 0
        var messages = 0
        while offset + 4 <= data.count {
            let end = offset + 4 + length(data, at: offset)
            guard end <= data.count else { break }
            offset = end
            messages += 1
        }
        return (messages, offset)
    }

    private static func reason() -> String { String(cString: strerror(errno)) }
}
