import AuditEvent
import CSimdjson

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte strings matched through a small open-addressing hash of length,
/// first and last byte, then one full comparison, with no ARC traffic: the
/// tables are built once per process and never freed.
struct ByteMatcher<Value>: @unchecked Sendable {
    private struct Entry {
        var bytes: UnsafePointer<UInt8>
        var count: Int
        var value: Value
    }

    private static var slotCount: Int { 256 }
    private let entries: UnsafeBufferPointer<Entry>
    /// Entry index + 1 per slot; 0 marks an empty slot.
    private let slots: UnsafeBufferPointer<UInt8>

    init(_ pairs: [([UInt8], Value)]) {
        precondition(!pairs.isEmpty && pairs.count < Self.slotCount / 2, "a matcher holds 1 to 127 names")
        let storage = UnsafeMutableBufferPointer<Entry>.allocate(capacity: pairs.count)
        let slots = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.slotCount)
        slots.initialize(repeating: 0)
        for (i, pair) in pairs.enumerated() {
            precondition(!pair.0.isEmpty, "names are not empty")
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: pair.0.count)
            bytes.initialize(from: pair.0, count: pair.0.count)
            (storage.baseAddress! + i).initialize(to: Entry(bytes: bytes, count: pair.0.count, value: pair.1))
            var slot = Self.hash(UnsafePointer(bytes), count: pair.0.count)
            while slots[slot] != 0 { slot = (slot + 1) & (Self.slotCount - 1) }
            slots[slot] = UInt8(i + 1)
        }
        entries = UnsafeBufferPointer(storage)
        self.slots = UnsafeBufferPointer(slots)
    }

    @inline(__always)
    private static func hash(_ pointer: UnsafePointer<UInt8>, count: Int) -> Int {
        (count &* 7 &+ Int(pointer[0]) &* 13 &+ Int(pointer[count - 1]) &* 31) & (slotCount - 1)
    }

    /// Byte equality without a libc call: names are short, and a call costs
    /// more than comparing them. Eight or more bytes compare as two
    /// overlapping 64-bit words.
    @inline(__always)
    private static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ count: Int) -> Bool {
        if count >= 8 {
            let ra = UnsafeRawPointer(a)
            let rb = UnsafeRawPointer(b)
            if ra.loadUnaligned(as: UInt64.self) != rb.loadUnaligned(as: UInt64.self) { return false }
            if count <= 16 {
                return ra.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
                    == rb.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self)
            }
            return memcmp(a, b, count) == 0
        }
        for i in 0..<count where a[i] != b[i] { return false }
        return true
    }

    @inline(__always)
    func match(_ pointer: UnsafePointer<UInt8>, count: Int) -> Value? {
        guard count > 0 else { return nil }
        var slot = Self.hash(pointer, count: count)
        while true {
            let index = Int(slots[slot])
            if index == 0 { return nil }
            let entry = entries[index - 1]
            if entry.count == count, Self.equal(entry.bytes, pointer, count) { return entry.value }
            slot = (slot + 1) & (Self.slotCount - 1)
        }
    }
}

/// The member names of one object of the contract, matched against raw keys
/// without creating Strings.
struct KeyTable: Sendable {
    private let matcher: ByteMatcher<Int>

    /// `names` in the order of the caller's field enumeration.
    init(_ names: [String]) {
        precondition(names.count <= 32, "readers track seen members in a 32-bit mask")
        matcher = ByteMatcher(names.enumerated().map { (Array($0.element.utf8), $0.offset) })
    }

    /// The position of a key in the table, or nil for an unknown member.
    @inline(__always)
    func index(of key: UnsafeBufferPointer<UInt8>) -> Int? {
        guard let base = key.baseAddress else { return nil }
        return matcher.match(base, count: key.count)
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
