#!/usr/bin/env python3
"""What a topic holds: per-partition low and high watermarks from the broker.
usage: watermarks.py BOOTSTRAP TOPIC
prints one JSON object: partitions, held (sum of high - low), produced (sum of
high: offsets ever written), truncated_partitions (low > 0: the broker dropped
the oldest messages there), min_held and max_held per partition, empty_partitions."""
import json
import sys

from confluent_kafka import Consumer, TopicPartition

boot, topic = sys.argv[1], sys.argv[2]
c = Consumer({"bootstrap.servers": boot, "group.id": "countersign-bench-watermarks", "enable.auto.commit": False})
meta = c.list_topics(topic, timeout=10)
t = meta.topics.get(topic)
if t is None or t.error is not None:
    sys.exit(f"watermarks: topic {topic} not found ({t.error if t else 'absent'})")
held = []
low_sum = high_sum = truncated = 0
for p in sorted(t.partitions):
    low, high = c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
    held.append(high - low)
    low_sum += low
    high_sum += high
    truncated += low > 0
c.close()
print(json.dumps({
    "topic": topic, "partitions": len(held), "held": sum(held), "produced": high_sum, "dropped": low_sum,
    "truncated_partitions": truncated, "empty_partitions": sum(1 for h in held if h == 0),
    "min_held": min(held), "max_held": max(held),
}))
