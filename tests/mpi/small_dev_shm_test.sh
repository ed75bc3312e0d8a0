#!/usr/bin/env bash
# The one-node shared-memory allreduce where /dev/shm is small (a container's 64 MB default, here
# 12 MiB): Open MPI backs the segment with a file there, and a full tmpfs only shows when a page
# is first touched. The ranks must agree to keep the sizes that do not fit on MPI and give the
# right sums, not crash or hang (measured without the room check: the job hung).
#   small_dev_shm_test.sh COMM_TEST_BINARY MPIEXEC
# Needs root for a private mount namespace (unshare -m); exits 77 (skipped) without it. CTest
# gives it the mpi tests' environment (root's permission for mpirun, the sanitizer's options).
set -uo pipefail
binary=${1:?usage: small_dev_shm_test.sh COMM_TEST_BINARY MPIEXEC}
mpiexec=${2:?usage: small_dev_shm_test.sh COMM_TEST_BINARY MPIEXEC}
if [[ $(id -u) -ne 0 ]] || ! unshare -m true 2>/dev/null; then
  echo "SKIP: needs root and mount namespaces (unshare -m)"
  exit 77
fi
# The 1 MiB slots fit (2 ranks x 2 x 2 MiB, with room to spare); the 12 MiB and 20 MiB sums of
# OneNodeSumsGrowTheSegment... do not, and must fall back. The whole binary runs, so every other
# collective is checked in that state too.
timeout 120 unshare -m bash -c "mount -t tmpfs -o size=12m tmpfs /dev/shm && \
  '${mpiexec}' -np 2 --oversubscribe '${binary}'"
status=$?
if [[ ${status} -eq 124 ]]; then
  echo "FAIL: the collectives did not finish within 120 s with a 12 MiB /dev/shm"
fi
exit "${status}"
