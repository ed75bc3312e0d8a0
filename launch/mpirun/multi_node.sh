#!/usr/bin/env bash
# gan_dist across machines with plain mpirun and a hostfile (no Slurm).
#   launch/mpirun/multi_node.sh HOSTFILE RANKS [gan_dist options...]
# HOSTFILE lists one machine per line with its slots, e.g.
#   node01 slots=8
#   node02 slots=8
# Every machine needs the same build at the same path (a shared file system, or the same
# clone everywhere) and passwordless ssh from this one. Checkpoints and samples are written by
# rank 0 only, on the first machine of the hostfile.
set -euo pipefail
cd "$(dirname "$0")/../.."
hostfile=${1:?usage: multi_node.sh HOSTFILE RANKS [gan_dist options...]}
ranks=${2:?usage: multi_node.sh HOSTFILE RANKS [gan_dist options...]}
shift 2
threads=${GAN_THREADS:-1}

flags=(-np "${ranks}" --hostfile "${hostfile}")
# Fill each machine's slots before the next, each rank on `threads` cores of its own.
flags+=(--map-by "slot:PE=${threads}" --bind-to core)
# The network Open MPI uses between machines; name it when there are several (e.g. eth0, ib0).
if [[ -n ${GAN_MPI_IFNAME:-} ]]; then flags+=(--mca btl_tcp_if_include "${GAN_MPI_IFNAME}"); fi
# Remote shells start with a bare environment: carry the paths the binary needs.
flags+=(-x PATH -x LD_LIBRARY_PATH)
[[ $(id -u) -eq 0 ]] && flags+=(--allow-run-as-root)

exec mpirun "${flags[@]}" "$PWD/build/gan_dist" --config "$PWD/configs/fashion_mnist_mlp.ini" \
  --train.threads="${threads}" "$@"
