/// Paths of the C2SP tlog-tiles layout, relative to the log's root:
/// `tile/<L>/<N>[.p/<W>]` for hash tiles, `tile/entries/<N>[.p/<W>]` for
/// entry bundles. N is written in 3-digit groups, all but the last with an
/// `x` prefix (1234067 -> x001/x234/067).
public enum TilePath {
    /// Hashes (or entries) per full tile.
    public static let width = 256

    public static func index(_ n: UInt64) -> String {
        var groups: [String] = []
        var rest = n
        repeat {
            groups.append(String(rest % 1_000).leftPadded(to: 3))
            rest /= 1_000
        } while rest > 0
        return groups.reversed().enumerated().map { position, group in
            position == groups.count - 1 ? group : "x" + group
        }.joined(separator: "/")
    }

    /// A hash tile; `width` below 256 names a partial tile.
    public static func tile(level: Int, index n: UInt64, width: Int = TilePath.width) -> String {
        "tile/\(level)/\(index(n))" + (width < Self.width ? ".p/\(width)" : "")
    }

    public static func entries(index n: UInt64, width: Int = TilePath.width) -> String {
        "tile/entries/\(index(n))" + (width < Self.width ? ".p/\(width)" : "")
    }
}

/// The writer's own objects beside the C2SP tiles.
public enum LogObjects {
    /// Commit `seq` of the chain (20 digits: names sort as numbers).
    public static func commit(_ seq: UInt64) -> String { "commit/" + String(seq).leftPadded(to: 20) }

    /// The signed checkpoint of `size` leaves.
    public static func checkpoint(_ size: UInt64) -> String { "checkpoint/" + String(size).leftPadded(to: 20) }

    /// Index lines (`leaf TAB topic TAB partition TAB offset TAB event id`) of bundle `n`.
    public static func index(_ n: UInt64, width: Int = TilePath.width) -> String {
        "index/\(TilePath.index(n))" + (width < TilePath.width ? ".p/\(width)" : "")
    }
}
