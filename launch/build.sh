#!/usr/bin/env bash
# Configures and builds gan_dist into build/ (Release, precompiled torch header, ccache if present).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)"
