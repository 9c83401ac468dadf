/// RFC 9162 section 2.1: tree hashes, inclusion and consistency proofs and
/// their verification. Pure: the tree is seen through `node(level, index)`,
/// the hash of the complete subtree of 2^level leaves starting at leaf
/// index * 2^level.
public enum MerkleProofs {
    public typealias NodeLookup = (_ level: Int, _ index: UInt64) throws -> Hash

    /// The largest power of two smaller than `n` (n > 1).
    static func split(_ n: UInt64) -> UInt64 {
        var k: UInt64 = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[from..<to]) for a range that starts on a multiple of a power
    /// of two at least as large as the range (every range a proof needs).
    public static func rangeHash(
        from: UInt64,
        to: UInt64,
        hasher: SHA256Hasher,
        node: NodeLookup
    ) throws -> Hash {
        let count = to - from
        precondition(count > 0)
        if count & (count - 1) == 0 {
            let level = count.trailingZeroBitCount
            return try node(level, from >> UInt64(level))
        }
        let k = split(count)
        return hasher.nodeHash(
            try rangeHash(from: from, to: from + k, hasher: hasher, node: node),
            try rangeHash(from: from + k, to: to, hasher: hasher, node: node)
        )
    }

    /// The root of a tree of `size` leaves.
    public static func root(size: UInt64, hasher: SHA256Hasher, node: NodeLookup) throws -> Hash {
        size == 0 ? SHA256Hasher.emptyRoot : try rangeHash(from: 0, to: size, hasher: hasher, node: node)
    }

    /// PATH(index, D[0..<size]): the audit path of leaf `index`, leaf side first.
    public static func inclusionProof(
        index: UInt64,
        size: UInt64,
        hasher: SHA256Hasher,
        node: NodeLookup
    ) throws -> [Hash] {
        precondition(index < size)
        var proof: [Hash] = []
        // Walk down from the whole tree, noting the sibling of each subtree
        // that holds the leaf; the path lists them bottom-up.
        var from: UInt64 = 0
        var to = size
        while to - from > 1 {
            let k = split(to - from)
            if index < from + k {
                proof.append(try rangeHash(from: from + k, to: to, hasher: hasher, node: node))
                to = from + k
            } else {
                proof.append(try rangeHash(from: from, to: from + k, hasher: hasher, node: node))
                from += k
            }
        }
        return proof.reversed()
    }

    /// PROOF(old, D[0..<new]) of RFC 9162 2.1.4.1, for 0 < old < new.
    public static func consistencyProof(
        old: UInt64,
        new: UInt64,
        hasher: SHA256Hasher,
        node: NodeLookup
    ) throws -> [Hash] {
        precondition(0 < old && old <= new)
        guard old < new else { return [] }
        var proof: [Hash] = []
        var m = old
        var from: UInt64 = 0
        var to = new
        var complete = true  // the "b" flag of SUBPROOF
        while true {
            let n = to - from
            if m == n {
                if !complete { proof.append(try rangeHash(from: from, to: to, hasher: hasher, node: node)) }
                break
            }
            let k = split(n)
            if m <= k {
                proof.append(try rangeHash(from: from + k, to: to, hasher: hasher, node: node))
                to = from + k
            } else {
                proof.append(try rangeHash(from: from, to: from + k, hasher: hasher, node: node))
                from += k
                m -= k
                complete = false
            }
        }
        return proof.reversed()
    }

    public enum VerificationError: Error, Equatable, CustomStringConvertible {
        case indexOutOfRange
        case wrongProofLength
        case rootMismatch
        case sizeDecreased
        case fromEmptyTree
        case equalSizesDifferentRoots
        case nonEmptyProofForEqualSizes

        public var description: String {
            switch self {
            case .indexOutOfRange: "the leaf index is not below the tree size"
            case .wrongProofLength: "the proof has the wrong number of hashes"
            case .rootMismatch: "the proof does not lead to the expected root"
            case .sizeDecreased: "the new tree is smaller than the old one"
            case .fromEmptyTree: "a consistency proof from the empty tree is not accepted"
            case .equalSizesDifferentRoots: "equal sizes but different roots"
            case .nonEmptyProofForEqualSizes: "equal sizes need an empty proof"
            }
        }
    }

    /// RFC 9162 2.1.3.2.
    public static func verifyInclusion(
        index: UInt64,
        size: UInt64,
        leafHash: Hash,
        proof: [Hash],
        root: Hash,
        hasher: SHA256Hasher
    ) throws(VerificationError) {
        guard index < size else { throw .indexOutOfRange }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { throw .wrongProofLength }
            if fn & 1 == 1 || fn == sn {
                r = hasher.nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = hasher.nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .wrongProofLength }
        guard r == root else { throw .rootMismatch }
    }

    /// RFC 9162 2.1.4.2, with the edge cases settled: equal sizes need equal
    /// roots and an empty proof; a proof from size 0 is refused.
    public static func verifyConsistency(
        old: UInt64,
        new: UInt64,
        oldRoot: Hash,
        newRoot: Hash,
        proof: [Hash],
        hasher: SHA256Hasher
    ) throws(VerificationError) {
        guard old <= new else { throw .sizeDecreased }
        guard old > 0 else { throw .fromEmptyTree }
        if old == new {
            guard proof.isEmpty else { throw .nonEmptyProofForEqualSizes }
            guard oldRoot == newRoot else { throw .equalSizesDifferentRoots }
            return
        }
        guard !proof.isEmpty else { throw .wrongProofLength }
        var path = proof
        if old & (old - 1) == 0 { path.insert(oldRoot, at: 0) }
        var fn = old - 1
        var sn = new - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { throw .wrongProofLength }
            if fn & 1 == 1 || fn == sn {
                fr = hasher.nodeHash(c, fr)
                sr = hasher.nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = hasher.nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        guard sn == 0 else { throw .wrongProofLength }
        guard fr == oldRoot, sr == newRoot else { throw .rootMismatch }
    }
}
