#!/usr/bin/env python3
"""Samples a worker's /metrics while it runs, to split its wall time into
the group join (until the first message is consumed) and the work after it.
usage: poll_metrics.py URL T0_NS OUT_JSON [INTERVAL_S]
Polls until SIGTERM, then writes OUT_JSON: seconds since T0 (Unix ns) of the
first sample with anything consumed, of the first sample where consumption
reached its final count, and of the first sample where each sink's
acknowledged count reached its final count; the final counts; the number of
samples. Times are those of the sample, so each is late by at most one interval."""
import json
import signal
import sys
import time
import urllib.request

url, t0, out = sys.argv[1], int(sys.argv[2]) / 1e9, sys.argv[3]
interval = float(sys.argv[4]) if len(sys.argv) > 4 else 0.25
samples = []  # (t, consumed, {sink: events})
stop = False


def on_term(*_):
    global stop
    stop = True


signal.signal(signal.SIGTERM, on_term)
signal.signal(signal.SIGINT, on_term)


def sample():
    with urllib.request.urlopen(url, timeout=2) as response:
        text = response.read().decode()
    consumed, sinks = 0.0, {}
    for line in text.splitlines():
        if line.startswith("countersign_events_consumed_total"):
            consumed += float(line.rsplit(" ", 1)[1])
        elif line.startswith("countersign_sink_events_total"):
            label = line.split('sink="', 1)[1].split('"', 1)[0] if 'sink="' in line else "?"
            sinks[label] = sinks.get(label, 0.0) + float(line.rsplit(" ", 1)[1])
    return consumed, sinks


errors = 0
while not stop:
    began = time.time()
    try:
        consumed, sinks = sample()
        samples.append((began - t0, consumed, sinks))
    except Exception:  # not up yet, or gone: the worker's own business
        errors += 1
    time.sleep(max(0.0, interval - (time.time() - began)))

result = {"samples": len(samples), "errors": errors, "interval_s": interval}
if samples:
    final = samples[-1][1]
    result["consumed"] = final
    result["first_consumed_s"] = next((t for t, c, _ in samples if c > 0), None)
    result["all_consumed_s"] = next((t for t, c, _ in samples if c >= final and final > 0), None)
    sinks_final = samples[-1][2]
    result["sinks"] = {}
    for name, n in sinks_final.items():
        result["sinks"][name] = {
            "events": n,
            "all_acknowledged_s": next((t for t, _, s in samples if s.get(name, 0) >= n and n > 0), None),
        }
with open(out, "w") as f:
    json.dump(result, f)
