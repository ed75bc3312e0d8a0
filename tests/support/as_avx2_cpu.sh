#!/usr/bin/env bash
# Runs a test command as an AVX2-only CPU sees it, on a CPU that has more (AVX-512, AVX512-BF16):
# gan_dist takes the CPU as AVX2-only and LibTorch runs bf16 in its portable kernels, as there
# (GAN_DIST_CPU=avx2), with bf16 allowed for the tests (GAN_DIST_EMULATE_BF16=1). On a CPU
# without AVX-512 the plain test entries already ran that way, so this one skips (exit 77).
#   tests/support/as_avx2_cpu.sh COMMAND [ARGS...]
set -euo pipefail

if ! grep -qw avx512f /proc/cpuinfo; then
  echo "skipped: this CPU has no AVX-512, so the plain entries already ran these tests as an AVX2-only CPU sees them"
  exit 77
fi
export GAN_DIST_CPU=avx2         # common/cpu_features.h: the CPU taken as AVX2-only
export GAN_DIST_EMULATE_BF16=1   # bf16 runs anyway (LibTorch's portable kernels), for the tests
# The plain entry runs the same test cases and CTest may run it at the same time: this run's
# files go to a directory of its own (gtest's TempDir() is TEST_TMPDIR), or one run would empty
# the other's output directory under it.
TEST_TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/gan_as_avx2.XXXXXX")
export TEST_TMPDIR
trap 'rm -rf "${TEST_TMPDIR}"' EXIT
"$@"
