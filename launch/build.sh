#!/usr/bin/env bash
# Configures and builds gan_dist into build/ (Release, Ninja, unity batches, precompiled torch
# header, ccache if present).
#   launch/build.sh             everything: the programs and the test suites
#   launch/build.sh programs    the programs only (gan_dist, gan_sample, gan_eval, gan_report, gan_bench, gan_data,
#                               gan_export)
#   launch/build.sh gan_dist    the trainer alone (what quickstart.sh train runs)
#   launch/build.sh sanitize    build-sanitize/: the code without LibTorch (config, readers, MANIFEST and
#                               state.json parsing, monitoring, communication) and its tests under
#                               AddressSanitizer + UBSan, and the libFuzzer targets; clang
set -euo pipefail
cd "$(dirname "$0")/.."

# Ninja, not Makefiles: it compiles a target's sources while the libraries it links are still
# being built, which the unity build's few large translation units need to keep every core busy.
# A build directory configured with another generator is configured afresh (its cache removed).
configure() {  # configure DIR cmake-args...
  local dir=$1
  shift
  if [[ -f "${dir}/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${dir}/CMakeCache.txt"; then
    echo "build.sh: ${dir} was configured for another generator; configuring it for Ninja"
    rm -rf "${dir}/CMakeCache.txt" "${dir}/CMakeFiles"
  fi
  cmake -S . -B "${dir}" -G Ninja "$@" >/dev/null
}

targets=()
case "${1:-all}" in
  all) ;;
  programs) targets=(--target gan_dist gan_sample gan_eval gan_report gan_bench gan_data gan_export) ;;
  gan_dist) targets=(--target gan_dist) ;;
  sanitize)
    configure build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DGAN_DIST_CORE_ONLY=ON -DGAN_DIST_SANITIZE=ON -DGAN_DIST_FUZZ=ON
    exec cmake --build build-sanitize -j "$(nproc)" ;;
  *) echo "usage: launch/build.sh [all|programs|gan_dist|sanitize]" >&2; exit 2 ;;
esac
configure build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "$(nproc)" "${targets[@]}"
