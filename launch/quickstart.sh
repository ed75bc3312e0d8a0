#!/usr/bin/env bash
# The README's two quick-start commands:
#   launch/quickstart.sh train   install what is missing, build, train the default config on 2 ranks
#   launch/quickstart.sh test    install what is missing, build, run the whole test suite
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-}
if [[ "$mode" != train && "$mode" != test ]]; then
  echo "usage: launch/quickstart.sh train|test" >&2
  exit 2
fi

launch/install_deps.sh
launch/build.sh

if [[ "$mode" == test ]]; then
  # All labels run; a CPU-only machine skips the gpu-labelled tests inside the binaries.
  cd build && exec ctest --output-on-failure --timeout 900
fi

mpi_flags=()
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)   # Open MPI refuses root otherwise
exec mpirun "${mpi_flags[@]}" -np 2 build/gan_dist --config configs/fashion_mnist_mlp.ini
