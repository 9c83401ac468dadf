#!/usr/bin/env bash
# `make demo`: what Countersign does today, end to end on this machine.
# Later capabilities (broker, detection, sinks) join this script as they land.
set -euo pipefail
countersign=${1:-.build/release/countersign}
work=$(mktemp -d "${TMPDIR:-/tmp}/countersign-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "== countersign --help"
"$countersign" --help
echo
echo "== generate 100,000 gateway events (seed 42)"
time "$countersign" generate --count 100000 --seed 42 --output "$work/events.jsonl"
head -c 600 "$work/events.jsonl"; echo " ..."
echo
echo "== add malformed messages a broken gateway might send"
{
    cat "$work/events.jsonl"
    printf '%s\n' '{"schema":"mcp.audit/1","event_id":"x-1","event_kind":"tool_call"'
    printf '%s\n' '{"schema":"mcp.audit/1","event_id":"x-2","event_kind":"tool_call","occurred_at":"2026-02-30T00:00:00Z","source":{"gateway":"g"},"actor":{"id":"a"},"target":{"server_id":"s","method":"tools/call","tool":"t"},"outcome":{"status":"success"}}'
    printf '%s\n' '{"schema":"mcp.audit/1","event_id":"x-3","event_id":"x-4","event_kind":"tool_call"}'
    printf '%s\n' '[]'
} >"$work/mixed.jsonl"
echo
echo "== validate them against the mcp.audit/1 contract"
"$countersign" validate "$work/mixed.jsonl" || true
