#!/usr/bin/env python3
"""Alert latency: for each alert the SIEM listener received (first receipt
of each alert id), its receive time minus the produce time of the event that
fired it.
usage: latency_report.py PRODUCED_TSV ALERTS_JSONL
Prints one JSON object: messages, alerts (distinct ids), mapped (firing event
found among the produced events), unmapped, latency_ms p50/p90/p99/max/min
(nearest rank), alerts per class."""
import json
import math
import sys

produced = {}
with open(sys.argv[1]) as f:
    for line in f:
        event_id, stamp = line.rstrip("\n").split("\t")
        produced[event_id] = int(stamp)

messages, first = 0, {}
with open(sys.argv[2]) as f:
    for line in f:
        record = json.loads(line)
        messages += 1
        key = record.get("alert_id") or f"#{messages}"
        if key not in first or record["recv_ns"] < first[key]["recv_ns"]:
            first[key] = record

latencies, unmapped, classes = [], 0, {}
for record in first.values():
    cls = record.get("class") or "?"
    classes[cls] = classes.get(cls, 0) + 1
    stamp = produced.get(record.get("firing_event_id"))
    if stamp is None:
        unmapped += 1
    else:
        latencies.append((record["recv_ns"] - stamp) / 1e6)
latencies.sort()


def rank(q):
    if not latencies:
        return None
    return round(latencies[max(0, math.ceil(q * len(latencies)) - 1)], 1)


print(json.dumps({
    "messages": messages, "alerts": len(first), "mapped": len(latencies), "unmapped": unmapped,
    "p50_ms": rank(0.50), "p90_ms": rank(0.90), "p99_ms": rank(0.99),
    "max_ms": round(latencies[-1], 1) if latencies else None,
    "min_ms": round(latencies[0], 1) if latencies else None,
    "classes": dict(sorted(classes.items())),
}))
