#!/usr/bin/env python3
"""Scores alerts against an independent traffic model's ground truth.

    score.py LABELS.jsonl ALERTS.jsonl SUMMARY.json [--json]

An alert matches an incident when its time lies between one minute before
the incident's start and fifteen minutes after its end, and it names the
incident's member (member and member x tool alerts), tool (tool alerts) or
tenant (tenant alerts). Per detector: recall counts the incidents of its own
kind that any alert of that detector matched; precision counts its alerts
that match any incident. Overall recall counts incidents matched by any
alert. False alerts per million are the alerts matching no incident per
million benign events (all events minus the incidents' own).

Written apart from the detectors and the models: it reads only the three
files, never the code that made them.
"""
import json
import sys
from datetime import datetime, timedelta

DETECTORS = ["spike", "exfiltration", "breadth", "read_then_send", "probing", "first_seen", "off_hours"]
BEFORE = timedelta(minutes=1)
AFTER = timedelta(minutes=15)


def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read(path):
    with open(path) as handle:
        return [json.loads(line) for line in handle if line.strip()]


def load_alerts(path):
    alerts = []
    for event in read(path):
        detection = event.get("detection") or {}
        scope = detection.get("scope")
        alerts.append({
            "detector": detection.get("detector"),
            "scope": scope,
            "member": (event.get("actor") or {}).get("id") if scope in ("member", "member_tool") else None,
            "tool": (event.get("target") or {}).get("tool"),
            "tenant": event.get("tenant_id"),
            "at": when(event["occurred_at"]),
        })
    return alerts


def matches(alert, label):
    if not (label["start"] - BEFORE <= alert["at"] <= label["end"] + AFTER):
        return False
    if alert["scope"] in ("member", "member_tool"):
        return alert["member"] == label["actor"]
    if alert["scope"] == "tool":
        return label.get("tool") is not None and alert["tool"] == label["tool"]
    if alert["scope"] == "tenant":
        return alert["tenant"] == label.get("tenant")
    return False


def score(labels, alerts, benign):
    rows = {}
    for detector in DETECTORS:
        own = [label for label in labels if label["kind"] == detector]
        mine = [alert for alert in alerts if alert["detector"] == detector]
        caught = sum(1 for label in own if any(matches(alert, label) for alert in mine))
        true = sum(1 for alert in mine if any(matches(alert, label) for label in labels))
        rows[detector] = {
            "incidents": len(own), "caught": caught, "recall": caught / len(own) if own else None,
            "alerts": len(mine), "true": true, "precision": true / len(mine) if mine else None,
            "false_per_million": (len(mine) - true) / benign * 1e6 if benign else 0.0,
        }
    caught = sum(1 for label in labels if any(matches(alert, label) for alert in alerts))
    true = sum(1 for alert in alerts if any(matches(alert, label) for label in labels))
    overall = {
        "incidents": len(labels), "caught": caught, "recall": caught / len(labels) if labels else None,
        "alerts": len(alerts), "true": true, "precision": true / len(alerts) if alerts else 1.0,
        "false_per_million": (len(alerts) - true) / benign * 1e6 if benign else 0.0,
    }
    missed = [f'{label["kind"]} {label["actor"]} {label["start"]:%Y-%m-%dT%H:%M}Z'
              for label in labels if not any(matches(alert, label) for alert in alerts)]
    false = {}
    for alert in alerts:
        if not any(matches(alert, label) for label in labels):
            false[alert["detector"]] = false.get(alert["detector"], 0) + 1
    return rows, overall, missed, false


def main():
    arguments = [argument for argument in sys.argv[1:] if not argument.startswith("--")]
    labels = read(arguments[0])
    for label in labels:
        label["start"], label["end"] = when(label["start"]), when(label["end"])
    alerts = load_alerts(arguments[1])
    summary = json.load(open(arguments[2]))
    benign = summary["events"] - summary.get("incident_events", 0)
    rows, overall, missed, false = score(labels, alerts, benign)
    if "--json" in sys.argv:
        print(json.dumps({"model": summary.get("model"), "detectors": rows, "overall": overall,
                          "missed": missed, "false_by_detector": false}))
        return
    fmt = lambda value: "-" if value is None else f"{value:.3f}"
    print(f'model {summary.get("model")} (seed {summary.get("seed")}): {summary["events"]} events, '
          f'{benign} benign, {len(labels)} incidents')
    print(f'{"detector":<16}{"incidents":>10}{"caught":>8}{"recall":>8}{"alerts":>8}{"true":>6}'
          f'{"precision":>11}{"false/M":>9}')
    for detector, row in rows.items():
        print(f'{detector:<16}{row["incidents"]:>10}{row["caught"]:>8}{fmt(row["recall"]):>8}{row["alerts"]:>8}'
              f'{row["true"]:>6}{fmt(row["precision"]):>11}{row["false_per_million"]:>9.1f}')
    print(f'overall: recall {fmt(overall["recall"])} ({overall["caught"]}/{overall["incidents"]}), precision '
          f'{fmt(overall["precision"])} ({overall["true"]}/{overall["alerts"]}), '
          f'{overall["false_per_million"]:.1f} false alerts per million benign events')
    if false:
        print("false alerts by detector: " + ", ".join(f"{k} {v}" for k, v in sorted(false.items())))
    for line in missed:
        print(f"missed: {line}")


if __name__ == "__main__":
    main()
