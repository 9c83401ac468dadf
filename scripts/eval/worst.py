#!/usr/bin/env python3
"""The per-model overall figures side by side, and the worst of each: the
figure a release is judged by (recall and precision at least 0.9, at most 5
false alerts per million benign events)."""
import json
import sys

rows = [json.load(open(path)) for path in sys.argv[1:]]
print(f'{"model":<14}{"recall":>8}{"precision":>11}{"false/M":>9}{"alerts":>8}')
for row in rows:
    o = row["overall"]
    print(f'{row["model"]:<14}{o["recall"]:>8.3f}{o["precision"]:>11.3f}{o["false_per_million"]:>9.1f}{o["alerts"]:>8}')
worst_recall = min(row["overall"]["recall"] for row in rows)
worst_precision = min(row["overall"]["precision"] for row in rows)
worst_false = max(row["overall"]["false_per_million"] for row in rows)
print(f'{"worst":<14}{worst_recall:>8.3f}{worst_precision:>11.3f}{worst_false:>9.1f}')
bars = worst_recall >= 0.9 and worst_precision >= 0.9 and worst_false <= 5
print("bars (recall >= 0.9, precision >= 0.9, <= 5 false per million on the worst model): "
      + ("met" if bars else "not met"))
