import Foundation
import Ledger

/// A ledger in an S3 bucket with Object Lock.
///
/// Write once, first writer wins. In a bucket with Object Lock (hence
/// versioning) a PUT of an existing name does not replace the object: it
/// stacks a new version, and every version stays retained. Conditional
/// PUTs (`If-None-Match: *`) are sent, but radosgw 16.2 ignores them in
/// versioned buckets (measured: 16 racing PUTs of one name, 16 successes),
/// so they cannot be the arbiter. The arbiter is the bucket index: after
/// its PUT, a writer lists the versions of the name, and the object *is*
/// the first version linked (the last in the listing, which runs newest
/// first); a writer whose version is not that one lost (`.exists`), and its
/// version is ignored forever. Readers read that first version too, so a
/// later PUT by anyone, a zombie writer or an intruder with write access,
/// changes nothing anybody reads. The bucket's default COMPLIANCE retention
/// (``S3Bucket/checkWORM``) keeps every version from deletion.
public struct S3Storage: LedgerStorage {
    /// One client per request in flight (each owns a curl handle and its
    /// connection): the writers of several partitions, and the objects of
    /// one batch, go out side by side.
    let pool: ClientPool
    var client: S3Client { pool.first }

    public init(client: S3Client, connections: Int = 8) {
        pool = ClientPool(first: client, size: connections)
    }

    /// Requests a batch's objects side by side (their order does not
    /// matter: only the commit record, created after them, makes them part
    /// of a log).
    public func createAll(_ objects: [(name: String, bytes: [UInt8])]) throws(LedgerError) -> [CreateOutcome] {
        try createConcurrently(objects, width: pool.size)
    }

    public var location: String { client.settings.description }

    public func read(_ name: String) throws(LedgerError) -> [UInt8]? {
        guard let version = try firstVersion(name) else { return nil }
        var query: [(String, String)] = []
        if version != "null" { query.append(("versionId", version)) }
        let response = try call { () throws(S3Error) in
            try pool.borrow().request("GET", key: client.key(name), query: query)
        }
        switch response.status {
        case 200: return response.body
        case 404: return nil
        default: throw LedgerError("cannot read \(location)/\(name): \(S3Client.errorCode(response))")
        }
    }

    public func exists(_ name: String) throws(LedgerError) -> Bool {
        let response = try call { () throws(S3Error) in try pool.borrow().request("HEAD", key: client.key(name)) }
        switch response.status {
        case 200: return true
        case 404: return false
        default: throw LedgerError("cannot look up \(location)/\(name): HTTP \(response.status)")
        }
    }

    public func create(_ name: String, _ bytes: [UInt8]) throws(LedgerError) -> CreateOutcome {
        let response = try call { () throws(S3Error) in
            try pool.borrow().request("PUT", key: client.key(name), headers: ["If-None-Match: *"], body: bytes)
        }
        switch response.status {
        case 200, 201, 204: break
        // 412: the name exists (where the server honours the condition). 409: a concurrent write won.
        case 412, 409: return .exists
        default: throw LedgerError("cannot write \(location)/\(name): \(S3Client.errorCode(response))")
        }
        guard let ours = response.headers["x-amz-version-id"], ours != "null" else {
            // An unversioned bucket honours If-None-Match: the 200 was the arbiter.
            return .created
        }
        return try firstVersion(name) == ours ? .created : .exists
    }

    /// The id of the first version linked under exactly `name`, nil when
    /// there is none. Listings run newest first, so it is the last one.
    func firstVersion(_ name: String) throws(LedgerError) -> String? {
        let key = client.key(name)
        var first: String?
        var marker: (key: String, version: String)?
        repeat {
            var query = [("prefix", key), ("versions", "")]
            if let marker { query += [("key-marker", marker.key), ("version-id-marker", marker.version)] }
            let response = try call { () throws(S3Error) in try pool.borrow().request("GET", key: nil, query: query) }
            guard response.status == 200 else {
                throw LedgerError("cannot list the versions of \(location)/\(name): \(S3Client.errorCode(response))")
            }
            for version in S3XML.elements("Version", in: response.body)
            where S3XML.values(of: "Key", in: Array(version.utf8)).first == key {
                first = S3XML.values(of: "VersionId", in: Array(version.utf8)).first
            }
            let truncated = S3XML.values(of: "IsTruncated", in: response.body).first == "true"
            let nextKey = S3XML.values(of: "NextKeyMarker", in: response.body).first
            let nextVersion = S3XML.values(of: "NextVersionIdMarker", in: response.body).first
            if truncated, let nextKey, let nextVersion, nextKey.hasPrefix(key) {
                marker = (nextKey, nextVersion)
            } else {
                marker = nil
            }
        } while marker != nil
        return first
    }

    public func list(prefix: String, startAfter: String?, limit: Int) throws(LedgerError) -> [String] {
        var query = [("list-type", "2"), ("prefix", client.key(prefix)), ("max-keys", String(limit))]
        if let startAfter { query.append(("start-after", client.key(startAfter))) }
        let response = try call { () throws(S3Error) in try pool.borrow().request("GET", key: nil, query: query) }
        guard response.status == 200 else {
            throw LedgerError("cannot list \(location)/\(prefix): \(S3Client.errorCode(response))")
        }
        let strip = client.settings.prefix.isEmpty ? 0 : client.settings.prefix.utf8.count + 1
        return S3XML.values(of: "Key", in: response.body).map { String($0.dropFirst(strip)) }
    }

    private func call(_ body: () throws(S3Error) -> S3Client.Response) throws(LedgerError) -> S3Client.Response {
        do {
            return try body()
        } catch {
            throw LedgerError(error.description)
        }
    }
}

/// The few values read out of S3's XML answers (keys of a listing, the
/// lock configuration). Keys are XML-escaped; only the five predefined
/// entities occur.
enum S3XML {
    /// The raw text inside each `<element>...</element>`.
    static func elements(_ element: String, in body: [UInt8]) -> [String] {
        let text = String(decoding: body, as: UTF8.self)
        var out: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "<\(element)>"),
            let end = rest.range(of: "</\(element)>", range: start.upperBound..<rest.endIndex)
        {
            out.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func values(of element: String, in body: [UInt8]) -> [String] {
        let text = String(decoding: body, as: UTF8.self)
        var out: [String] = []
        var rest = text[...]
        while let start = rest.range(of: "<\(element)>"),
            let end = rest.range(of: "</\(element)>", range: start.upperBound..<rest.endIndex)
        {
            out.append(unescape(String(rest[start.upperBound..<end.lowerBound])))
            rest = rest[end.upperBound...]
        }
        return out
    }

    static func unescape(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}

/// Clients for requests side by side: `borrow` hands out the least busy
/// (each client serialises its own requests behind a lock).
final class ClientPool: @unchecked Sendable {
    let first: S3Client
    let size: Int
    private let clients: [S3Client]
    private let lock = NSLock()
    private var next = 0

    init(first: S3Client, size: Int) {
        self.first = first
        self.size = max(1, size)
        clients = [first] + (1..<max(1, size)).compactMap { _ in try? S3Client(settings: first.settings) }
    }

    /// Round robin: with as many requests in flight as clients, each goes to a client of its own.
    func borrow() -> S3Client {
        lock.withLock {
            next = (next + 1) % clients.count
            return clients[next]
        }
    }
}
