#!/bin/bash
#SBATCH --job-name=ppo-sweep1
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --requeue
#SBATCH --open-mode=append
# Array task i runs shard i/4. SWEEP_CONFIG, SWEEP_SEEDS, SWEEP_GRID and
# SWEEP_OUT, passed with sbatch --export, choose another sweep.
config=${SWEEP_CONFIG:-configs/cartpole-adaptive-kl.yaml}
seeds=${SWEEP_SEEDS:-1-5}
grid=${SWEEP_GRID:-ppo.learning_rate=1e-4,3e-4,1e-3}
out=${SWEEP_OUT:-/shared/sweep1}
exec ppo sweep --config "$config" --seeds "$seeds" --grid "$grid" --parallel 2 --resume \
    --shard "$SLURM_ARRAY_TASK_ID/4" --out "$out"
