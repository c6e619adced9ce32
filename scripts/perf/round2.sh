#!/bin/sh
# Speed round two (issue 16): interleaved before/after measurements.
# Builds ppo at BASE (default e962307, before the fused KL ops) and at the work tree, then runs
# ROUNDS rounds; in each round every config runs under each variant in turn:
#   base    the BASE binary
#   new     this tree's binary
#   shards2 this tree's binary with --set ppo.shards=2
# ppo bench --json reports go to OUT/bench/CONFIG.VARIANT.rROUND.json; whole `ppo train` runs of
# the two configs/bench settings, timed by /usr/bin/time, go to OUT/train.tsv.
# Usage, from the repository root: scripts/perf/round2.sh [ROUNDS] [OUT]
set -eu
ROUNDS=${1:-3}
OUT=${2:-experiments/perf/round2}
BASE=${BASE:-e962307}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git archive "$BASE" | tar -x -C "$tmp" && mkdir "$tmp/bin"
(cd "$tmp" && go build -o bin/base ./cmd/ppo)
go build -o "$tmp/bin/new" ./cmd/ppo
mkdir -p "$OUT/bench"
[ -f "$OUT/train.tsv" ] || printf 'round\tconfig\tvariant\tenv_steps\twall_s\tuser_s\tsys_s\tmax_rss_kb\tload1\tenv_steps_per_s\teval_return\n' > "$OUT/train.tsv"

run() { # variant, then ppo arguments
	v=$1; shift
	case $v in
	base) "$tmp/bin/base" "$@" ;;
	new) "$tmp/bin/new" "$@" ;;
	shards2) "$tmp/bin/new" "$@" --set ppo.shards=2 ;;
	esac
}

for r in $(seq 1 "$ROUNDS"); do
	for c in configs/cartpole-adaptive-kl.yaml configs/cartpole-clip.yaml configs/pendulum-adaptive-kl.yaml \
		configs/bench/cartpole-cleanrl.yaml configs/bench/cartpole-zoo.yaml; do
		name=$(basename "$c" .yaml)
		extra=""
		[ "$name" = pendulum-adaptive-kl ] && extra="--updates 30" # 122,880 of its 500,000 steps
		for v in base new shards2; do
			# shellcheck disable=SC2086
			run $v bench --config "$c" --json $extra > "$OUT/bench/$name.$v.r$r.json"
		done
	done
	for c in configs/bench/cartpole-cleanrl.yaml configs/bench/cartpole-zoo.yaml; do
		name=$(basename "$c" .yaml)
		for v in base new shards2; do
			load=$(cut -d' ' -f1 /proc/loadavg)
			rm -rf "$tmp/run"
			/usr/bin/time -f '%e %U %S %M' -o "$tmp/time" sh -c "$(
				case $v in
				base) echo "\"$tmp/bin/base\" train --config $c --out \"$tmp/run\" --quiet" ;;
				new) echo "\"$tmp/bin/new\" train --config $c --out \"$tmp/run\" --quiet" ;;
				shards2) echo "\"$tmp/bin/new\" train --config $c --out \"$tmp/run\" --quiet --set ppo.shards=2" ;;
				esac
			)" > /dev/null
			steps=$(tail -n 1 "$tmp/run/metrics.jsonl" | sed 's/.*"timesteps":\([0-9]*\).*/\1/')
			ret=$(sed -n 's/.*"mean_return": *\([-0-9.e+]*\).*/\1/p' "$tmp/run/eval.json" | head -n 1)
			read -r wall user sys rss < "$tmp/time"
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.0f\t%s\n' "$r" "$name" "$v" "$steps" "$wall" "$user" "$sys" "$rss" "$load" \
				"$(echo "$steps / $wall" | bc -l)" "$ret" >> "$OUT/train.tsv"
		done
	done
done
