#!/usr/bin/env bash
# The cost of the hot tier keeping raw as jsonb or as text: psql \copy of the
# same 400,000 rows (key columns and the raw event) into a table whose raw is
# jsonb and one whose raw is text, alternated. Run through the harness:
#   COUNTERSIGN_BIN=.build/release/countersign scripts/harness.sh -- scripts/bench/raw-jsonb-vs-text.sh
set -euo pipefail
B=${COUNTERSIGN_BIN:-.build/release/countersign}
db=rawcmp
psql -qAtX -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" postgres
$B generate --count 400000 --seed 42 --tenants 20 --members-per-tenant 2000 > /tmp/rawcmp.jsonl
psql -qAtX -d $db -c "CREATE TABLE stage (line text)"
psql -qAtX -d $db -c "\copy stage FROM '/tmp/rawcmp.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')"
psql -qAtX -d $db -c "COPY (SELECT j->>'event_id', (j->>'occurred_at')::timestamptz, j->>'event_kind', j->>'tenant_id', j->'actor'->>'id', line FROM (SELECT line, line::jsonb AS j FROM stage) s) TO '/tmp/rawcmp.copy'"
for kind in jsonb text jsonb text jsonb text; do
  psql -qAtX -d $db -c "DROP TABLE IF EXISTS t" -c "CREATE TABLE t (event_id text NOT NULL, occurred_at timestamptz NOT NULL, event_kind text NOT NULL, tenant_id text, actor_id text NOT NULL, raw $kind NOT NULL, PRIMARY KEY (event_id, occurred_at))"
  start=$(date +%s.%N)
  psql -qAtX -d $db -c "\copy t FROM '/tmp/rawcmp.copy'"
  end=$(date +%s.%N)
  echo "$kind $(echo "$end - $start" | bc) s $(psql -qAtX -d $db -c 'SELECT count(*) FROM t') rows"
done
