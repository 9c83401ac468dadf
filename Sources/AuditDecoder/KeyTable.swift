import AuditEvent

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte strings matched through a perfect hash of length, first and last
/// byte: the multiplier is searched once, when the table is built, so that no
/// two names share a slot. A lookup is one slot and one comparison, with no
/// probe loop to mispredict and no ARC traffic (the tables live as long as
/// the process).
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
    private let multiplier: UInt32

    init(_ pairs: [([UInt8], Value)]) {
        precondition(!pairs.isEmpty && pairs.count <= 64, "a matcher holds 1 to 64 names")
        precondition(pairs.allSatisfy { !$0.0.isEmpty }, "names are not empty")
        precondition(Set(pairs.map(\.0)).count == pairs.count, "names are distinct")
        let keys = pairs.map { pair in
            pair.0.withUnsafeBufferPointer { Self.key($0.baseAddress!, count: $0.count) }
        }
        // Distinct names can share length, first and last byte; those must
        // not be told apart by the hash alone, so the search below would
        // never end. Refuse such tables at once.
        precondition(Set(keys).count == keys.count, "names need distinct (length, first, last) triples")
        var multiplier: UInt32 = 0x9E37_79B1
        while Set(keys.map { Self.slot($0, multiplier) }).count != keys.count {
            multiplier = multiplier &* 0x0019_660D &+ 0x3C6E_F35F | 1
        }
        self.multiplier = multiplier
        let storage = UnsafeMutableBufferPointer<Entry>.allocate(capacity: pairs.count)
        let slots = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: Self.slotCount)
        slots.initialize(repeating: 0)
        for (i, pair) in pairs.enumerated() {
            let bytes = UnsafeMutablePointer<UInt8>.allocate(capacity: pair.0.count)
            bytes.initialize(from: pair.0, count: pair.0.count)
            (storage.baseAddress! + i).initialize(to: Entry(bytes: bytes, count: pair.0.count, value: pair.1))
            slots[Self.slot(keys[i], multiplier)] = UInt8(i + 1)
        }
        entries = UnsafeBufferPointer(storage)
        self.slots = UnsafeBufferPointer(slots)
    }

    @inline(__always)
    private static func key(_ pointer: UnsafePointer<UInt8>, count: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: count) << 16 | UInt32(pointer[0]) << 8 | UInt32(pointer[count - 1])
    }

    @inline(__always)
    private static func slot(_ key: UInt32, _ multiplier: UInt32) -> Int {
        Int((key &* multiplier) >> 24)
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
        let index = Int(slots[Self.slot(Self.key(pointer, count: count), multiplier)])
        if index == 0 { return nil }
        let entry = entries[index - 1]
        return entry.count == count && Self.equal(entry.bytes, pointer, count) ? entry.value : nil
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
