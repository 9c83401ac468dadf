import Blocking
import Dispatch

/// Where a ledger's objects live: a local directory or a bucket of
/// S3-compatible object storage. Every object is written once and never
/// replaced, so the same code serves a WORM bucket under Object Lock; the
/// one atomic primitive is "create this name unless it exists", which is
/// also what fences a writer that lost its partition (see
/// ``PartitionLogWriter``). Calls block: callers run them on their own
/// queue, never on Swift's cooperative pool.
public protocol LedgerStorage: Sendable {
    /// A short description for messages (`/var/lib/countersign/ledger`,
    /// `s3://bucket/prefix`); never holds a secret.
    var location: String { get }

    /// The object's bytes, or nil when there is no such object.
    func read(_ name: String) throws(LedgerError) -> [UInt8]?

    /// Whether an object of that name exists.
    func exists(_ name: String) throws(LedgerError) -> Bool

    /// Creates the object unless one of that name exists; durable when it
    /// returns `.created`. Never replaces an object.
    func create(_ name: String, _ bytes: [UInt8]) throws(LedgerError) -> CreateOutcome

    /// Creates each object, side by side where the storage allows; the
    /// outcomes in order. A failure of any is thrown (the others may have
    /// been created: they are write-once and a retry finds them).
    func createAll(_ objects: [(name: String, bytes: [UInt8])]) throws(LedgerError) -> [CreateOutcome]

    /// Names under `prefix` (full names, `prefix` included) in byte order,
    /// after `startAfter` when given, at most `limit`.
    func list(prefix: String, startAfter: String?, limit: Int) throws(LedgerError) -> [String]
}

public enum CreateOutcome: Equatable, Sendable {
    case created
    /// An object of that name was there already; nothing was written.
    case exists
}

extension LedgerStorage {
    /// Creates `objects` with up to `width` requests at once, on threads of their own (``SideBySide``).
    public func createConcurrently(
        _ objects: [(name: String, bytes: [UInt8])],
        width: Int
    ) throws(LedgerError) -> [CreateOutcome] {
        guard objects.count > 1 else {
            return try objects.map { (object) throws(LedgerError) in try create(object.name, object.bytes) }
        }
        let results = ConcurrentResults<CreateOutcome>(count: objects.count)
        SideBySide.run(objects.count, width: width) { index in
            do throws(LedgerError) {
                results.set(index, .success(try create(objects[index].name, objects[index].bytes)))
            } catch {
                results.set(index, .failure(error))
            }
        }
        return try results.values()
    }

    /// Creates each object; when one exists already it must hold the same
    /// bytes (a retry, or another writer that appended the same messages
    /// from the same state): anything else is a conflict nobody may paper over.
    public func createIdempotently(_ objects: [(name: String, bytes: [UInt8])]) throws(LedgerError) {
        for (object, outcome) in zip(objects, try createAll(objects)) where outcome == .exists {
            guard try read(object.name) == object.bytes else {
                throw LedgerError(
                    "\(location): \(object.name) exists with other content; this log was written by another writer"
                )
            }
        }
    }

    /// Every name under `prefix`, page by page.
    public func listAll(prefix: String) throws(LedgerError) -> [String] {
        var names: [String] = []
        while true {
            let page = try list(prefix: prefix, startAfter: names.last, limit: 1_000)
            names += page
            if page.count < 1_000 { return names }
        }
    }
}

/// Results of work done side by side, gathered under a lock.
final class ConcurrentResults<Value>: @unchecked Sendable {
    private let lock = DispatchQueue(label: "countersign.ledger.results")
    private var results: [Result<Value, LedgerError>?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: Result<Value, LedgerError>) { lock.sync { results[index] = result } }

    /// Every value in order, or the first failure.
    func values() throws(LedgerError) -> [Value] {
        let all = lock.sync { results }
        var out: [Value] = []
        for result in all {
            switch result {
            case .success(let value)?: out.append(value)
            case .failure(let error)?: throw error
            case nil: throw LedgerError("an object was neither created nor refused")
            }
        }
        return out
    }
}
