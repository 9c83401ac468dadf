#!/usr/bin/env python3
"""The end-to-end benchmark's table, from its raw figures.
usage: report.py RAW_JSONL
Medians over rounds; events/s = events / wall time of the whole process."""
import json
import re
import statistics
import sys

entries = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]


def of(kind, system=None):
    return [e for e in entries if e["kind"] == kind and (system is None or e.get("system") == system)]


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def num(v, digits=0):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def wall(e):
    return e["time"]["wall_s"]


def cpu(e):
    return e["time"]["user_s"] + e["time"]["sys_s"]


def rate(e):
    count = e.get("rows") if e.get("system") == "psql" else e.get("events")
    return count / wall(e) if count else None


lines = []
out = lines.append
setup = (of("setup") or [{}])[0]
topic = (of("topic") or [None])[0]
out(f"Countersign end-to-end benchmark ({setup.get('date', '?')}, {setup.get('host', '?')}, "
    f"{setup.get('cores', '?')} cores, commit {setup.get('commit', '?')})")
if topic:
    w = topic["watermarks"]
    out(f"Topic: {topic['held']:,} events held in {w['partitions']} partitions "
        f"({topic['delivered']:,} delivered by `countersign generate`, {w['dropped']:,} dropped by the dev-broker's "
        f"retention in {w['truncated_partitions']} partitions; per partition {w['min_held']:,}-{w['max_held']:,}; "
        f"kcat read {topic['read_by_kcat']:,})")
    if topic["held"] < topic["events_requested"]:
        out(f"  NOTE: fewer than the {topic['events_requested']:,} asked for; every rate below is on the "
            f"{topic['held']:,} held.")

e2e = of("e2e")
if e2e:
    rounds = max(e["round"] for e in e2e)
    out("")
    out(f"End to end, Kafka -> a PostgreSQL table of the events table's shape; rounds a b c alternated "
        f"{rounds} time{'s' if rounds != 1 else ''}; medians")
    out("events/s = events in the topic / wall time of the whole process, start to exit (for psql: rows / wall "
        "time of the parallel load); CPU = user + system time of the client processes (the server's is not counted)")
    out("| system | wall s | events/s | per round (events/s) | CPU s | rows stored |")
    out("|---|---|---|---|---|---|")
    names = {
        "countersign": "(a) countersign run: postgres x{w} + ledger + SIEM alerts (TCP) + metrics + detection",
        "python": "(b) Python peer (confluent-kafka + json + psycopg COPY)",
        "psql": "(c) psql \\copy, {w} in parallel, of the rows (a) stored",
    }
    medians = {}
    for system in ("countersign", "python", "psql"):
        runs = sorted(of("e2e", system), key=lambda e: e["round"])
        if not runs:
            continue
        writers = runs[0].get("writers", setup.get("writers", "?"))
        medians[system] = med([rate(e) for e in runs])
        out(f"| {names[system].format(w=writers)} | {num(med([wall(e) for e in runs]), 2)} | "
            f"{num(medians[system])} | {', '.join(num(rate(e)) for e in runs)} | "
            f"{num(med([cpu(e) for e in runs]), 1)} | {', '.join(num(e.get('rows')) for e in runs)} |")
    if medians.get("countersign") and medians.get("python"):
        out(f"Ratio countersign / Python peer: {medians['countersign'] / medians['python']:.2f} (bar: >= 1.5, goal 2)")
    if medians.get("countersign") and medians.get("psql"):
        out(f"Ratio countersign / psql \\copy: {medians['countersign'] / medians['psql']:.2f} (bar: >= 0.8)")
    ours = of("e2e", "countersign")
    if ours:
        joins = [e.get("assigned_s") for e in ours]
        firsts = [e["metrics"].get("first_consumed_s") for e in ours if e.get("metrics")]
        spans = []
        for e in ours:
            m = e.get("metrics") or {}
            done = (m.get("sinks", {}).get("postgres") or {}).get("all_acknowledged_s")
            if done is not None and m.get("first_consumed_s") is not None and done > m["first_consumed_s"]:
                spans.append(e["events"] / (done - m["first_consumed_s"]))
        out(f"countersign's wall time, medians: partitions assigned at {num(med(joins), 2)} s, first message consumed "
            f"at {num(med(firsts), 2)} s (sampled every 0.25 s), then {setup.get('idle_exit_s', '?')} s of "
            f"--exit-when-idle before the exit; from the first message to the last row acknowledged by PostgreSQL: "
            f"{num(med(spans))} events/s ({', '.join(num(s) for s in spans)})")
        out(f"countersign per run: alerts {', '.join(str(e.get('alerts')) for e in ours)}; SIEM sent "
            f"{', '.join(str(e.get('siem_sent')) for e in ours)}; ledger entries "
            f"{', '.join(str(e.get('ledger_entries')) for e in ours)}; peak RSS MB "
            f"{', '.join(num(e['time'].get('maxrss_mb')) for e in ours)}")
    copies = of("e2e", "psql")
    if copies and copies[0].get("raw_type"):
        raw_type = copies[0]["raw_type"]
        out(f"(c) loads the rows (a) stored, dumped with COPY TO (raw is {raw_type}"
            + (": PostgreSQL's jsonb output, not the gateway's bytes" if raw_type == "jsonb" else "") + ").")
    peers = of("e2e", "python")
    if peers:
        said = [re.search(r"= (\d+) rows/s", e.get("peer_says") or "") for e in peers]
        out("Python peer's own figure (rows/s after its first message): "
            + ", ".join(m.group(1) if m else "-" for m in said))

consume = of("consume")
if consume:
    out("")
    out("Consuming the same topic: the worker with a null sink (no detection, no ledger) vs kcat -C -e; medians")
    out("| consumer | wall s | events/s | per round (events/s) | CPU s |")
    out("|---|---|---|---|---|")
    medians = {}
    for system, label in (("countersign-null", "countersign run, null sink"), ("kcat", "kcat -C -e -o beginning -q")):
        runs = sorted(of("consume", system), key=lambda e: e["round"])
        if not runs:
            continue
        medians[system] = med([rate(e) for e in runs])
        out(f"| {label} | {num(med([wall(e) for e in runs]), 2)} | {num(medians[system])} | "
            f"{', '.join(num(rate(e)) for e in runs)} | {num(med([cpu(e) for e in runs]), 1)} |")
    if medians.get("countersign-null") and medians.get("kcat"):
        out(f"Ratio worker / kcat (wall to wall): {medians['countersign-null'] / medians['kcat']:.2f}")
    runs = of("consume", "countersign-null")
    after = []
    for e in runs:
        if e.get("assigned_s") is not None:
            span = wall(e) - e["assigned_s"] - e.get("idle_exit_s", 0)
            if span > 0:
                after.append(e["events"] / span)
    if after and medians.get("kcat"):
        out(f"Worker without its group join and idle wait (wall - partitions assigned - idle exit): "
            f"{num(med(after))} events/s, ratio to kcat {med(after) / medians['kcat']:.2f}; "
            f"partitions assigned at {num(med([e.get('assigned_s') for e in runs]), 2)} s (median)")

for e in of("latency"):
    r, p = e["result"], e["producer"]
    out("")
    out(f"Alert latency: paced producer at {num(p['target_rate'])} events/s (achieved {num(p['rate'])}, "
        f"{p['events']:,} events in {p['seconds']} s, {e['partitions']} partitions), countersign run with "
        f"postgres + ledger + SIEM (TCP, octet counting, to a listener stamping arrival) + metrics + detection")
    out("| alerts received | mapped to their firing event | p50 ms | p90 ms | p99 ms | max ms |")
    out("|---|---|---|---|---|---|")
    out(f"| {r['alerts']} | {r['mapped']} | {num(r['p50_ms'], 1)} | {num(r['p90_ms'], 1)} | "
        f"{num(r['p99_ms'], 1)} | {num(r['max_ms'], 1)} |")
    out(f"Latency = arrival at the SIEM listener - the firing event's produce() call. Worker's count of alerts "
        f"{e.get('worker_alerts')}, SIEM sent {e.get('siem_sent')}, rows stored {e.get('rows')}; by class: "
        f"{r['classes']}. Bar: p99 < 1000 ms at 10,000 events/s.")
    if r["alerts"] == 0:
        out("  NOTE: no alert arrived: no latency measured.")

print("\n".join(lines))
