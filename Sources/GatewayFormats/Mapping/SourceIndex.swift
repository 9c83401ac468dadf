/// A mapping's sources turned around: for each value name, the fields it
/// feeds and its rank among each field's sources. A record is then resolved
/// in one pass over its own values (a dozen or two) instead of one lookup per
/// field and candidate name (a hundred or more, most of them misses).
struct SourceIndex: Sendable {
    struct Feed: Sendable {
        var field: Int
        var rank: Int
    }

    var byName: [String: [Feed]] = [:]
    /// Sources that name the record's metadata (`@time`, `@body`, ...).
    var metadata: [(feed: Feed, name: String)] = []

    init(_ mapping: FieldMapping) {
        for (field, names) in mapping.sources {
            for (rank, name) in names.enumerated() {
                let feed = Feed(field: field.ordinal, rank: rank)
                if name.hasPrefix("@") {
                    metadata.append((feed, name))
                } else {
                    byName[name, default: []].append(feed)
                }
            }
        }
    }

    /// The first non-empty value of every field's sources, in source order;
    /// a record attribute is preferred to a resource attribute of the same name.
    func resolve(_ record: GatewayRecord) -> ResolvedRecord {
        let count = EventField.allCases.count
        var values = [RecordValue?](repeating: nil, count: count)
        var ranks = [Int](repeating: Int.max, count: count)
        func offer(_ value: RecordValue, _ feeds: [Feed]) {
            if case .string(let text) = value, text.isEmpty { return }
            for feed in feeds where feed.rank < ranks[feed.field] {
                ranks[feed.field] = feed.rank
                values[feed.field] = value
            }
        }
        for (name, value) in record.attributes {
            if let feeds = byName[name] { offer(value, feeds) }
        }
        for (name, value) in record.resource {
            // A record attribute wins over a resource attribute of the same name.
            if let feeds = byName[name], record.attributes[name] == nil { offer(value, feeds) }
        }
        for (feed, name) in metadata where feed.rank < ranks[feed.field] {
            if let value = record.value(name) { offer(value, [feed]) }
        }
        return ResolvedRecord(values: values)
    }
}

/// A record's values by field (``EventField/ordinal``), as a mapping reads them.
struct ResolvedRecord {
    var values: [RecordValue?]
}
