#!/usr/bin/env python3
"""Sends a JSONL file of mcp.audit/1 events (from `countersign generate -o`)
to a Kafka topic at a steady rate, keyed by actor.id as `countersign
generate` keys them, and remembers when each event was handed to the
producer (its produce time, wall clock in ns: the SIEM listener on the same
host stamps with the same clock).
usage: paced_producer.py BOOTSTRAP TOPIC JSONL RATE OUT_TSV
OUT_TSV: event_id TAB produce_ns, one line per event. Prints a JSON summary."""
import json
import sys
import time

from confluent_kafka import Producer

boot, topic, path, rate, out = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]

values, keys, ids = [], [], []
with open(path, "rb") as f:
    for line in f:
        line = line.rstrip(b"\n")
        if not line:
            continue
        event = json.loads(line)
        values.append(line)
        keys.append(event["actor"]["id"].encode())
        ids.append(event["event_id"])
n = len(values)
failed = [0, None]


def on_error(err, _msg):
    if err is not None:
        failed[0] += 1
        failed[1] = str(err)


p = Producer({
    "bootstrap.servers": boot, "linger.ms": 5, "on_delivery": on_error, "delivery.report.only.error": True,
    "queue.buffering.max.messages": 1000000,
})
# Connect and learn the topic's partitions before the clock starts.
p.list_topics(topic, timeout=10)

stamps = [0] * n
behind_max = 0.0
retries = 0
i = 0
start = time.perf_counter()
while i < n:
    due = min(n, int((time.perf_counter() - start) * rate) + 1)
    while i < due:
        stamps[i] = time.time_ns()
        try:
            p.produce(topic, value=values[i], key=keys[i])
        except BufferError:
            retries += 1
            p.poll(0.005)
            continue
        i += 1
    p.poll(0)
    behind_max = max(behind_max, time.perf_counter() - start - i / rate)
    wait = start + i / rate - time.perf_counter()
    if wait > 0:
        time.sleep(wait)
elapsed = time.perf_counter() - start
left = p.flush(60)
with open(out, "w") as f:
    for event_id, stamp in zip(ids, stamps):
        f.write(f"{event_id}\t{stamp}\n")
print(json.dumps({
    "events": n, "seconds": round(elapsed, 3), "rate": round(n / elapsed, 1), "target_rate": rate,
    "max_behind_schedule_s": round(behind_max, 4), "buffer_full_retries": retries,
    "undelivered_after_flush": left, "delivery_errors": failed[0], "last_error": failed[1],
}))
if failed[0] or left:
    sys.exit(1)
