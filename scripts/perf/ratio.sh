#!/bin/sh
# The embedded default's speed against clipping (issue 16's first goal): ROUNDS interleaved ppo bench
# runs of configs/cartpole-adaptive-kl.yaml and configs/cartpole-clip.yaml (the same settings but
# the objective) with this work tree's build, reports to OUT/CONFIG.round3.rROUND.json.
# Usage, from the repository root: scripts/perf/ratio.sh [ROUNDS] [OUT]
set -eu
ROUNDS=${1:-45}
OUT=${2:-experiments/perf/round3/ratio}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/ppo" ./cmd/ppo
mkdir -p "$OUT"
for r in $(seq 1 "$ROUNDS"); do
	for c in cartpole-adaptive-kl cartpole-clip; do
		"$tmp/ppo" bench --config "configs/$c.yaml" --json > "$OUT/$c.round3.r$r.json"
	done
done
