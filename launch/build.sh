#!/usr/bin/env bash
# Configures and builds gan_dist into build/ (Release, precompiled torch header, ccache if present).
#   launch/build.sh             everything: the programs and the test suites
#   launch/build.sh programs    the programs only (gan_dist, gan_sample, gan_eval, gan_report, gan_bench, gan_data)
#   launch/build.sh sanitize    build-sanitize/: the code without LibTorch (config, readers, MANIFEST and
#                               state.json parsing, monitoring, communication) and its tests under
#                               AddressSanitizer + UBSan, and the libFuzzer targets; clang
set -euo pipefail
cd "$(dirname "$0")/.."

targets=()
case "${1:-all}" in
  all) ;;
  programs) targets=(--target gan_dist gan_sample gan_eval gan_report gan_bench gan_data) ;;
  sanitize)
    cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
      -DCMAKE_CXX_COMPILER=clang++ -DGAN_DIST_CORE_ONLY=ON -DGAN_DIST_SANITIZE=ON -DGAN_DIST_FUZZ=ON >/dev/null
    exec cmake --build build-sanitize -j "$(nproc)" ;;
  *) echo "usage: launch/build.sh [all|programs|sanitize]" >&2; exit 2 ;;
esac
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" "${targets[@]}"
