#!/usr/bin/env bash
# Configures and builds gan_dist into build/ (Release, precompiled torch header, ccache if present).
#   launch/build.sh             everything: the programs and the test suites
#   launch/build.sh programs    the programs only (gan_dist, gan_sample, gan_eval, gan_report, gan_bench)
set -euo pipefail
cd "$(dirname "$0")/.."

targets=()
case "${1:-all}" in
  all) ;;
  programs) targets=(--target gan_dist gan_sample gan_eval gan_report gan_bench) ;;
  *) echo "usage: launch/build.sh [all|programs]" >&2; exit 2 ;;
esac
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" "${targets[@]}"
