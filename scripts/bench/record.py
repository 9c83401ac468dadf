#!/usr/bin/env python3
"""Appends one measurement to the benchmark's raw figures (JSON lines).
usage: record.py RAW_JSONL KIND KEY=VALUE...
A VALUE of @FILE embeds FILE: parsed as JSON (.json), as a list of JSON
objects (.jsonl), else as text. Numbers become numbers, an empty VALUE null."""
import json
import sys


def value(text):
    if text.startswith("@"):
        path = text[1:]
        with open(path) as f:
            if path.endswith(".json"):
                return json.load(f)
            if path.endswith(".jsonl"):
                return [json.loads(line) for line in f if line.strip()]
            return f.read()
    if text == "":
        return None
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


raw, kind = sys.argv[1], sys.argv[2]
entry = {"kind": kind}
for pair in sys.argv[3:]:
    key, _, text = pair.partition("=")
    entry[key] = value(text)
with open(raw, "a") as f:
    f.write(json.dumps(entry) + "\n")
