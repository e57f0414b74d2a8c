#!/bin/sh
# Behaviour kept: the example scenario with seed 42 must give the same jobs and
# series rows as the release that recorded tests/data/example_seed42_*.csv.gz
# (doubles printed with 17 significant digits, so "same" means bit for bit).
# Usage: example_rows.sh FLEETSIM_BIN SOURCE_DIR
set -eu
bin=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$bin" run "$src/scenarios/example.cfg" --seed 42 --db "$tmp/ex.db" >/dev/null 2>&1
sqlite3 -csv "$tmp/ex.db" "
  SELECT r.fleet, j.name, j.kind, j.model, j.gpus, printf('%!.17g', j.tokens),
         printf('%!.17g', j.submit_s), printf('%!.17g', j.start_s), printf('%!.17g', j.end_s),
         j.status, j.restarts
  FROM jobs j JOIN runs r ON r.id = j.run_id ORDER BY j.run_id, j.job_idx" >"$tmp/jobs.csv"
sqlite3 -csv "$tmp/ex.db" "
  SELECT r.fleet, printf('%!.17g', s.t_s), s.gpus_total, printf('%!.17g', s.gpus_busy),
         s.jobs_running, s.jobs_queued
  FROM series s JOIN runs r ON r.id = s.run_id ORDER BY s.run_id, s.t_s" >"$tmp/series.csv"
fail=0
for t in jobs series; do
	gzip -dc "$src/tests/data/example_seed42_$t.csv.gz" >"$tmp/want_$t.csv"
	if ! cmp -s "$tmp/want_$t.csv" "$tmp/$t.csv"; then
		echo "example rows: $t differ from tests/data/example_seed42_$t.csv.gz (first lines of the diff):"
		diff "$tmp/want_$t.csv" "$tmp/$t.csv" | head -20
		fail=1
	fi
done
n=$(wc -l <"$tmp/jobs.csv")
if [ "$fail" -eq 0 ]; then
	echo "example rows: $n job rows and $(wc -l <"$tmp/series.csv") series rows identical"
	echo "1 passed, 0 failed"
else
	echo "0 passed, 1 failed"
fi
exit "$fail"
