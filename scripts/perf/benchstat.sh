#!/bin/sh
# Benchmarks of one minibatch step and of one whole update (agent's BenchmarkMinibatchStep and
# BenchmarkUpdate, benchSets' shapes), base against this work tree, as benchstat tables.
# The base tree's test binary is built with this tree's agent/bench_test.go copied in, so both run
# the same benchmarks; the two binaries alternate ROUNDS times, and the load before each run goes
# to OUT/load.txt. Writes OUT/base.txt, OUT/new.txt and OUT/benchstat.txt.
# Usage, from the repository root: scripts/perf/benchstat.sh [ROUNDS] [OUT]   (BASE=e962307)
set -eu
ROUNDS=${1:-6}
OUT=${2:-experiments/perf/round3/benchstat}
BASE=${BASE:-e962307}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/base"
git archive "$BASE" | tar -x -C "$tmp/base"
cp agent/bench_test.go "$tmp/base/agent/"
(cd "$tmp/base" && go test -c -o "$tmp/agent-base.test" ./agent)
go test -c -o "$tmp/agent-new.test" ./agent
mkdir -p "$OUT"
rm -f "$OUT/base.txt" "$OUT/new.txt" "$OUT/load.txt"
for r in $(seq 1 "$ROUNDS"); do
	for v in base new; do
		echo "round $r $v: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/load.txt"
		"$tmp/agent-$v.test" -test.run XXX -test.bench 'MinibatchStep|Update' -test.benchtime 0.5s >> "$OUT/$v.txt"
	done
done
"${BENCHSTAT:-benchstat}" base="$OUT/base.txt" new="$OUT/new.txt" > "$OUT/benchstat.txt"
