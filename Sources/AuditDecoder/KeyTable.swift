import AuditEvent
import CSimdjson

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte strings matched by length, first byte, then the rest, with no ARC
/// traffic: the tables are built once per process and never freed.
struct ByteMatcher<Value>: @unchecked Sendable {
    private struct Entry {
        var bytes: UnsafePointer<UInt8>
        var count: Int
        var value: Value
    }

    private let entries: UnsafeBufferPointer<Entry>

    init(_ pairs: [([UInt8], Value)]) {
        let storage = UnsafeMutableBufferPointer<Entry>.allocate(capacity: pairs.count)
        for (i, pair) in pairs.enumerated() {
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: max(pair.0.count, 1))
            bytes.initialize(from: pair.0, count: pair.0.count)
            (storage.baseAddress! + i).initialize(to: Entry(bytes: bytes, count: pair.0.count, value: pair.1))
        }
        entries = UnsafeBufferPointer(storage)
    }

    @inline(__always)
    func match(_ pointer: UnsafePointer<UInt8>, count: Int) -> Value? {
        guard count > 0 else { return nil }
        let first = pointer[0]
        for entry in entries where entry.count == count && entry.bytes[0] == first {
            var equal = true
            for j in 1..<count where entry.bytes[j] != pointer[j] {
                equal = false
                break
            }
            if equal { return entry.value }
        }
        return nil
    }
}

/// The member names of one object of the contract, matched against raw keys
/// without creating Strings.
struct KeyTable: Sendable {
    private let matcher: ByteMatcher<Int>

    /// `names` in the order of the caller's field enumeration.
    init(_ names: [String]) {
        matcher = ByteMatcher(names.enumerated().map { (Array($0.element.utf8), $0.offset) })
    }

    /// The position of the node's key in the table, or nil for an unknown member.
    @inline(__always)
    func index(of node: csj_node) -> Int? {
        guard let key = node.key else { return nil }
        return matcher.match(UnsafeRawPointer(key).assumingMemoryBound(to: UInt8.self), count: Int(node.key_len))
    }
}

/// The allowed values of one enumeration of the contract, matched on raw bytes.
struct EnumTable<E: Sendable>: Sendable {
    private let matcher: ByteMatcher<E>

    init(_ cases: [E], rawValue: (E) -> String) {
        matcher = ByteMatcher(cases.map { (Array(rawValue($0).utf8), $0) })
    }

    @inline(__always)
    func value(for bytes: UnsafeBufferPointer<UInt8>) -> E? {
        guard let base = bytes.baseAddress else { return nil }
        return matcher.match(base, count: bytes.count)
    }
}

extension EventKind {
    static let table = EnumTable(allCases, rawValue: \.rawValue)
}

extension Phase {
    static let table = EnumTable(allCases, rawValue: \.rawValue)
}

extension ActorType {
    static let table = EnumTable(allCases, rawValue: \.rawValue)
}

extension OutcomeStatus {
    static let table = EnumTable(allCases, rawValue: \.rawValue)
}

extension PolicyDecision {
    static let table = EnumTable(allCases, rawValue: \.rawValue)
}
