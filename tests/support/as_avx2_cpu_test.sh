#!/usr/bin/env bash
# The AVX2-only wrapper (as_avx2_cpu.sh): the command sees the AVX2 switches and a temporary
# directory of its own, distinct for two runs at once and removed afterwards; its exit status
# is the wrapper's.
#   tests/support/as_avx2_cpu_test.sh SOURCE_DIR
set -uo pipefail
source_dir=$(cd "$1" && pwd)
# shellcheck source=tests/support/shell_checks.sh
source "${source_dir}/tests/support/shell_checks.sh"
wrapper="${source_dir}/tests/support/as_avx2_cpu.sh"
work=$(mktemp -d)
trap 'rm -rf "${work}"' EXIT

# What a wrapped command sees, written while it runs: the switches, its TEST_TMPDIR and whether
# that directory exists then. Two at once, as CTest may run the plain and the AVX2 entries.
seen() {  # seen FILE: the wrapped command's view, one word per line
  bash "${wrapper}" bash -c 'echo "${GAN_DIST_CPU} ${GAN_DIST_EMULATE_BF16}"; echo "${TEST_TMPDIR}";
                             [[ -d ${TEST_TMPDIR} ]] && echo exists; sleep 0.3' >"$1"
}
seen "${work}/first" &
first=$!
seen "${work}/second"
second_rc=$?
wait "${first}"
first_rc=$?
if ((first_rc == 77)); then
  echo "skipped: this CPU has no AVX-512 (the wrapper skips)"
  exit 77
fi
check "both wrapped runs succeed" test "${first_rc}${second_rc}" = 00
check "the command runs as an AVX2-only CPU with bf16 emulated" contains "${work}/first" "avx2 1"
first_dir=$(sed -n 2p "${work}/first")
second_dir=$(sed -n 2p "${work}/second")
check "the command has a temporary directory of its own, existing while it runs" \
  test "$(sed -n 3p "${work}/first")" = exists
check "two runs at once get different directories" test -n "${first_dir}" -a "${first_dir}" != "${second_dir}"
check "not the shared default" test "${first_dir%/}" != "${TMPDIR:-/tmp}"
check "the directories are removed afterwards" test ! -e "${first_dir}" -a ! -e "${second_dir}"
bash "${wrapper}" bash -c 'exit 3'
check "the command's exit status is the wrapper's" test $? = 3
finish_checks
