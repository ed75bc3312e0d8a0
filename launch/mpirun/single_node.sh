#!/usr/bin/env bash
# gan_dist on one machine with plain mpirun: one rank per core, one compute thread per rank.
#   launch/mpirun/single_node.sh RANKS [gan_dist options...]
#   GAN_THREADS=4 launch/mpirun/single_node.sh 2 ...     (2 ranks x 4 threads on 8 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
ranks=${1:?usage: single_node.sh RANKS [gan_dist options...]}
shift
# Compute threads per rank (torch and OpenBLAS alike, via --train.threads).
threads=${GAN_THREADS:-1}

flags=(-np "${ranks}")
if ((ranks * threads <= $(nproc))); then
  # Each rank gets `threads` cores of its own; with one thread this is mpirun's default binding.
  flags+=(--map-by "slot:PE=${threads}" --bind-to core)
else
  # More ranks than cores (a laptop, CI): let mpirun place them anyway, unbound.
  flags+=(--oversubscribe --bind-to none)
fi
# Open MPI refuses root without this (containers).
[[ $(id -u) -eq 0 ]] && flags+=(--allow-run-as-root)

exec mpirun "${flags[@]}" build/gan_dist --config configs/fashion_mnist_mlp.ini --train.threads="${threads}" "$@"
