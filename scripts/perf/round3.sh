#!/bin/sh
# Speed round three (issue 16): interleaved measurements of three builds.
#   base    BASE (default e962307): before issue 16, the issue's "today"
#   round2  ROUND2 (default 9146794): the end of round two (fused KL ops, shards)
#   round3  this work tree (graphop.Run, actor and critic on two goroutines, the KL op's memo)
# Each build runs with the configs of its own tree (the settings are the same; later trees add
# fields with defaults). ROUNDS rounds; in each, every config runs under each build in turn:
# ppo bench --json reports go to OUT/bench/CONFIG.VARIANT.rROUND.json, and whole `ppo train`
# runs of the two configs/bench settings, timed by /usr/bin/time, to OUT/train.tsv. Last, a
# 1M-step ppo bench of the embedded default (round3) for peak RSS and allocations.
# Usage, from the repository root: scripts/perf/round3.sh [ROUNDS] [OUT]
set -eu
ROUNDS=${1:-5}
OUT=${2:-experiments/perf/round3}
BASE=${BASE:-e962307}
ROUND2=${ROUND2:-9146794}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for v in base round2; do
	rev=$BASE
	[ "$v" = round2 ] && rev=$ROUND2
	mkdir -p "$tmp/$v"
	git archive "$rev" | tar -x -C "$tmp/$v"
	(cd "$tmp/$v" && go build -o ppo ./cmd/ppo)
done
mkdir -p "$tmp/round3"
go build -o "$tmp/round3/ppo" ./cmd/ppo
cp -r configs "$tmp/round3/"
mkdir -p "$OUT/bench"
[ -f "$OUT/train.tsv" ] || printf 'round\tconfig\tvariant\tenv_steps\twall_s\tuser_s\tsys_s\tmax_rss_kb\tload1\tenv_steps_per_s\teval_return\n' > "$OUT/train.tsv"

for r in $(seq 1 "$ROUNDS"); do
	for c in cartpole-adaptive-kl cartpole-clip pendulum-adaptive-kl bench/cartpole-cleanrl bench/cartpole-zoo; do
		name=$(basename "$c")
		extra=""
		[ "$name" = pendulum-adaptive-kl ] && extra="--updates 30" # 122,880 of its 500,000 steps
		for v in base round2 round3; do
			# shellcheck disable=SC2086
			"$tmp/$v/ppo" bench --config "$tmp/$v/configs/$c.yaml" --json $extra > "$OUT/bench/$name.$v.r$r.json"
		done
	done
	for c in bench/cartpole-cleanrl bench/cartpole-zoo; do
		name=$(basename "$c")
		for v in base round2 round3; do
			load=$(cut -d' ' -f1 /proc/loadavg)
			rm -rf "$tmp/run"
			/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" \
				"$tmp/$v/ppo" train --config "$tmp/$v/configs/$c.yaml" --out "$tmp/run" --quiet > /dev/null
			steps=$(tail -n 1 "$tmp/run/metrics.jsonl" | sed 's/.*"timesteps":\([0-9]*\).*/\1/')
			ret=$(sed -n 's/.*"mean_return": *\([-0-9.e+]*\).*/\1/p' "$tmp/run/eval.json" | head -n 1)
			read -r wall user sys rss < "$tmp/time"
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n' "$r" "$name" "$v" "$steps" "$wall" "$user" "$sys" "$rss" "$load" \
				"$(echo "$steps / $wall" | bc -l)" "$ret" >> "$OUT/train.tsv"
		done
	done
done
"$tmp/round3/ppo" bench --set total_timesteps=1000000 --json > "$OUT/bench-1m-cartpole-adaptive-kl.json"
