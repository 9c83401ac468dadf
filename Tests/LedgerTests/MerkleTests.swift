import Testing

@testable import Ledger

/// The RFC 6962 / 9162 reference tree of transparency-dev/merkle's
/// testonly constants: eight leaves, roots of sizes 1-8, and proofs
/// against it, with the tampered forms its testdata rejects.
@Suite("Merkle tree (RFC 9162)")
struct MerkleTests {
    static let leaves: [[UInt8]] = [
        "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
    ].map { hex in
        stride(from: 0, to: hex.count, by: 2).map {
            UInt8(hex.dropFirst($0).prefix(2), radix: 16)!
        }
    }
    static let rootPrefixes = [
        "6e340b9c", "fac54203", "aeb6bcfe", "d37ee418", "4e3bbb1f", "76e67dad", "ddb89be4", "5dc9da79",
    ]

    let hasher = SHA256Hasher()

    /// Node lookup over the reference leaves, computed the slow way.
    func node(_ level: Int, _ index: UInt64) -> Hash {
        let first = Int(index) << level
        let hashes = Self.leaves[first..<(first + (1 << level))].map { hasher.leafHash($0) }
        return LedgerWriter.perfectRoot(hashes[...], hasher: hasher)
    }

    func root(_ size: UInt64) throws -> Hash {
        try MerkleProofs.root(size: size, hasher: hasher) { node($0, $1) }
    }

    @Test("empty tree, and roots of sizes 1-8")
    func roots() throws {
        #expect(try root(0).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for size in 1...8 {
            #expect(try root(UInt64(size)).hex.hasPrefix(Self.rootPrefixes[size - 1]), "size \(size)")
        }
        #expect(try root(8).base64 == "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=")
    }

    @Test("the writer's incremental root equals the recursive definition at every size")
    func writerRoot() throws {
        var state = LedgerState()
        for (index, leaf) in Self.leaves.enumerated() {
            state.rows[0].append(hasher.leafHash(leaf))
            state.size = UInt64(index + 1)
            #expect(LedgerWriter.root(of: state, hasher: hasher) == (try root(state.size)))
        }
    }

    @Test("reference proofs: inclusion of leaf 0 in 8, consistency 1->8 and 2->5")
    func referenceProofs() throws {
        let inclusion = try MerkleProofs.inclusionProof(index: 0, size: 8, hasher: hasher) { node($0, $1) }
        #expect(
            inclusion.map(\.base64) == [
                "lqKW0iTyhcZ77pPDD4owkVfw2qNdxbh+QQt4YwoJz8c=", "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=",
                "a0eq8p7jwq+a+Im8H7klTavTEXfxYjLdaqsDXKOb9uQ=",
            ]
        )
        let oneToEight = try MerkleProofs.consistencyProof(old: 1, new: 8, hasher: hasher) { node($0, $1) }
        #expect(oneToEight == inclusion)
        let twoToFive = try MerkleProofs.consistencyProof(old: 2, new: 5, hasher: hasher) { node($0, $1) }
        #expect(
            twoToFive.map(\.base64) == [
                "Xwg/ChozygdqlSeYMlgNs+DvRYS9/x9UyKNg9Q3jAx4=", "vBoGQ7EuTS18d5GPROD095qDi2z57FtcKD4fTYhZnms=",
            ]
        )
        #expect(try root(2).base64 == "+sVCA+fMaWzw38tCySodnbr3CtnmIfS9jZhmLwDjwSU=")
        #expect(try root(5).base64 == "Tju7H3tHjc/nH7YxYxUZo7yhLJrvyhYSv85ME6hiZNQ=")
    }

    /// Flips one bit of one hash.
    func flipped(_ hash: Hash, bit: Int) -> Hash {
        var bytes = hash.bytes
        bytes[bit / 8] ^= 1 << (bit % 8)
        return Hash(bytes: bytes)
    }

    @Test("every inclusion proof of the reference tree verifies; each tampered form fails")
    func inclusionProofs() throws {
        let garbage = hasher.sha256(Array("garbage".utf8))
        for size in UInt64(1)...8 {
            let treeRoot = try root(size)
            for index in 0..<size {
                let leaf = hasher.leafHash(Self.leaves[Int(index)])
                let proof = try MerkleProofs.inclusionProof(index: index, size: size, hasher: hasher) { node($0, $1) }
                try MerkleProofs.verifyInclusion(
                    index: index,
                    size: size,
                    leafHash: leaf,
                    proof: proof,
                    root: treeRoot,
                    hasher: hasher
                )
                var bad: [(String, UInt64, UInt64, Hash, [Hash], Hash)] = [
                    ("wrong leaf", index, size, hasher.leafHash([0xFF]), proof, treeRoot),
                    ("random root", index, size, leaf, proof, garbage),
                    ("empty root", index, size, leaf, proof, SHA256Hasher.emptyRoot),
                    ("index = size", size, size, leaf, proof, treeRoot),
                    ("size doubled", index, size * 2, leaf, proof, treeRoot),
                    ("trailing garbage", index, size, leaf, proof + [garbage], treeRoot),
                    ("trailing root", index, size, leaf, proof + [treeRoot], treeRoot),
                    ("preceding garbage", index, size, leaf, [garbage] + proof, treeRoot),
                    ("preceding root", index, size, leaf, [treeRoot] + proof, treeRoot),
                ]
                if index + 1 < size { bad.append(("index + 1", index + 1, size, leaf, proof, treeRoot)) }
                if index > 0 { bad.append(("index - 1", index - 1, size, leaf, proof, treeRoot)) }
                if index ^ 2 < size { bad.append(("index ^ 2", index ^ 2, size, leaf, proof, treeRoot)) }
                if size / 2 > index { bad.append(("size / 2", index, size / 2, leaf, proof, treeRoot)) }
                if !proof.isEmpty {
                    bad.append(("removed component", index, size, leaf, Array(proof.dropLast()), treeRoot))
                    bad.append(
                        ("inserted component", index, size, leaf, [proof[0], garbage] + proof.dropFirst(), treeRoot)
                    )
                }
                for (position, component) in proof.enumerated() {
                    var modified = proof
                    modified[position] = flipped(component, bit: 3)
                    bad.append(("modified proof[\(position)]", index, size, leaf, modified, treeRoot))
                }
                for (name, badIndex, badSize, badLeaf, badProof, badRoot) in bad {
                    #expect(
                        throws: MerkleProofs.VerificationError.self,
                        "\(name): index \(index), size \(size)"
                    ) {
                        try MerkleProofs.verifyInclusion(
                            index: badIndex,
                            size: badSize,
                            leafHash: badLeaf,
                            proof: badProof,
                            root: badRoot,
                            hasher: hasher
                        )
                    }
                }
            }
        }
    }

    @Test("every consistency proof of the reference tree verifies; each tampered form fails")
    func consistencyProofs() throws {
        let garbage = hasher.sha256(Array("garbage".utf8))
        for new in UInt64(1)...8 {
            for old in UInt64(1)...new {
                let oldRoot = try root(old)
                let newRoot = try root(new)
                let proof = try MerkleProofs.consistencyProof(old: old, new: new, hasher: hasher) { node($0, $1) }
                try MerkleProofs.verifyConsistency(
                    old: old,
                    new: new,
                    oldRoot: oldRoot,
                    newRoot: newRoot,
                    proof: proof,
                    hasher: hasher
                )
                var bad: [(String, UInt64, UInt64, Hash, Hash, [Hash])] = [
                    ("from size 0", 0, new, SHA256Hasher.emptyRoot, newRoot, proof),
                    ("wrong root1", old, new, garbage, newRoot, proof),
                    ("wrong root2", old, new, oldRoot, garbage, proof),
                    ("size2 * 2", old, new * 2, oldRoot, newRoot, proof),
                    ("trailing garbage", old, new, oldRoot, newRoot, proof + [garbage]),
                    ("trailing root1", old, new, oldRoot, newRoot, proof + [oldRoot]),
                    ("preceding garbage", old, new, oldRoot, newRoot, [garbage] + proof),
                ]
                if old != new {
                    bad += [
                        ("empty proof", old, new, oldRoot, newRoot, []),
                        ("swapped roots", old, new, newRoot, oldRoot, proof),
                        ("truncated proof", old, new, oldRoot, newRoot, Array(proof.dropLast())),
                        ("preceding root1", old, new, oldRoot, newRoot, [oldRoot] + proof),
                        ("size1 - 1", old - 1, new, oldRoot, newRoot, proof),
                        ("size1 + 1", old + 1, new, oldRoot, newRoot, proof),
                    ]
                    if new / 2 >= old && new / 2 != new {
                        bad.append(("size2 / 2", old, new / 2, oldRoot, newRoot, proof))
                    }
                    if old ^ 2 != old && old ^ 2 <= new {
                        bad.append(("size1 ^ 2", old ^ 2, new, oldRoot, newRoot, proof))
                    }
                } else {
                    bad.append(("equal sizes, other root", old, new, oldRoot, garbage, []))
                }
                for (position, component) in proof.enumerated() {
                    var modified = proof
                    modified[position] = flipped(component, bit: 4)
                    bad.append(("modified proof[\(position)]", old, new, oldRoot, newRoot, modified))
                }
                for (name, badOld, badNew, badOldRoot, badNewRoot, badProof) in bad {
                    #expect(throws: MerkleProofs.VerificationError.self, "\(name): \(old) -> \(new)") {
                        try MerkleProofs.verifyConsistency(
                            old: badOld,
                            new: badNew,
                            oldRoot: badOldRoot,
                            newRoot: badNewRoot,
                            proof: badProof,
                            hasher: hasher
                        )
                    }
                }
            }
        }
    }

    @Test("tile paths: 3-digit groups with x prefixes; partial tiles")
    func tilePaths() {
        #expect(TilePath.index(1_234_067) == "x001/x234/067")
        #expect(TilePath.index(5) == "005")
        #expect(TilePath.index(1_000) == "x001/000")
        #expect(TilePath.tile(level: 0, index: 273, width: 112) == "tile/0/273.p/112")
        #expect(TilePath.tile(level: 1, index: 1) == "tile/1/001")
        #expect(TilePath.entries(index: 1_234_067) == "tile/entries/x001/x234/067")
    }
}
