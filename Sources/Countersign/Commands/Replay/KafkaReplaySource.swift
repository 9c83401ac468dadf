import Foundation
import Kafka

/// Replays what a Kafka topic still holds: every partition from its
/// beginning (or `fromOffsets`) up to the end it had when the replay
/// started (or `toOffsets`, not included), each in offset order. The consumer is alone in a group of its own (a fresh random
/// `group.id`, never the pipeline's) and commits nothing, so the production
/// group's offsets are never touched.
struct KafkaReplaySource {
    let properties: KafkaProperties
    let topics: [String]
    /// Per partition number, the first offset to read, of every topic replayed.
    var fromOffsets: [Int32: Int64] = [:]
    /// Per partition number, the offset to stop before.
    var toOffsets: [Int32: Int64] = [:]
    /// Partitions without a `fromOffsets` entry start at the first message
    /// whose Kafka timestamp is at or after this (ms), where the broker can say.
    var fromTime: Int64?
    /// Partitions without a `toOffsets` entry stop before the first message
    /// whose Kafka timestamp is at or after this (ms), where the broker can say.
    var toTime: Int64?

    func replay(into replayer: Replayer, progress: ProgressLine?) async throws -> [TopicPartition: Int64] {
        var properties = properties
        properties["group.id"] = "countersign-replay-\(UUID().uuidString.lowercased())"
        properties["auto.offset.reset"] = "earliest"
        properties["enable.auto.commit"] = "false"
        let starts = fromOffsets
        let detection = replayer.detection
        let snapshots = replayer.range.from != nil
        var startingOffset: (@Sendable (TopicPartition) -> Int64?)?
        if !starts.isEmpty {
            startingOffset = { partition in starts[partition.partition] }
        } else if snapshots {
            // A partition with a snapshot older than the range starts at it.
            startingOffset = { partition in detection.startingOffset(partition) }
        }
        let consumer = try KafkaConsumer(
            properties: properties,
            topics: topics,
            startingOffset: startingOffset,
            startingTime: fromTime
        )
        // Where each partition ends: its high watermark when it was assigned.
        var ends: [TopicPartition: Int64] = [:]
        // The next offset to read per partition; an empty partition starts at its end.
        var reached: [TopicPartition: Int64] = [:]
        var assigned = false
        var done: UInt64 = 0
        var idlePolls = 0
        while true {
            let messages = try await consumer.poll(maxMessages: 2_000, timeoutMilliseconds: 200)
            for change in consumer.takeRebalances() {
                guard case .assigned(let partitions) = change else { continue }
                assigned = true
                var timeEnds: [TopicPartition: Int64] = [:]
                if let toTime { timeEnds = await consumer.offsets(atTime: toTime, of: partitions) }
                for partition in partitions where ends[partition] == nil {
                    let marks = try await consumer.watermarks(partition)
                    let first = max(marks.low, consumer.startedAt(partition) ?? marks.low)
                    let last = toOffsets[partition.partition] ?? timeEnds[partition] ?? marks.high
                    ends[partition] = max(first, min(marks.high, last))
                    reached[partition] = first
                }
                progress?.total = UInt64(ends.reduce(0) { $0 + max(0, $1.value - (reached[$1.key] ?? 0)) })
            }
            for message in messages {
                let partition = TopicPartition(topic: message.topic, partition: message.partition)
                guard let end = ends[partition], message.offset < end else { continue }
                try await replayer.add(
                    topic: message.topic,
                    partition: message.partition,
                    offset: message.offset,
                    bytes: message.value
                )
                reached[partition] = message.offset + 1
                done += 1
            }
            progress?.update(done)
            if assigned, ends.allSatisfy({ partition, end in end <= (reached[partition] ?? 0) }) {
                break
            }
            if messages.isEmpty {
                idlePolls += 1
                if idlePolls > 600 {  // 2 minutes without a message
                    throw ReplayError.source("no message for 2 minutes before the end of the range")
                }
            } else {
                idlePolls = 0
            }
        }
        try await replayer.flush()
        try? await consumer.close()
        return ends
    }
}
