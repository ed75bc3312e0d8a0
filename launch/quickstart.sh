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

if [[ "$mode" == test ]]; then
  launch/build.sh all
  # All labels run; a CPU-only machine skips the gpu-labelled tests inside the binaries. As many
  # entries at once as there are cores: each declares the cores it needs (PROCESSORS: its ranks,
  # 2 for whole training runs, which so run alone on a 2-core machine), so single-process tests
  # pair up and nothing timed shares its cores. Each entry has its own TIMEOUT (tests/CMakeLists.txt);
  # --timeout is for one that might not.
  status=0
  (cd build && ctest --output-on-failure --timeout 300 -j "$(nproc)" | tee ctest.log) || status=$?
  # The ten slowest entries, so that the next test that makes the suite slower is seen.
  echo "slowest tests of this run (seconds):"
  # sed, not head: head leaves after ten lines and sort, still writing, dies of SIGPIPE, which
  # pipefail makes this script's exit status (141) on a green run.
  sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) .* ([0-9.]+) sec$/\2 \1/p' build/ctest.log | sort -rn | sed -n 1,10p
  ((status == 0)) || exit "$status"
  # The code without LibTorch again under ASan + UBSan (unit and mpi labels) and 20 s of
  # libFuzzer per parser (fuzz label).
  launch/build.sh sanitize
  cd build-sanitize && exec ctest --output-on-failure --timeout 300 -j "$(nproc)"
fi

# The trainer first, so the first samples come as soon as they can; the other programs (the
# README's tour uses them) are built once training is done.
launch/build.sh gan_dist
mpi_flags=()
[[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)   # Open MPI refuses root otherwise
mpirun "${mpi_flags[@]}" -np 2 build/gan_dist --config configs/fashion_mnist_mlp.ini
echo "quickstart: building the other programs (gan_sample, gan_eval, gan_report, gan_bench, gan_data, gan_export)"
launch/build.sh programs
