# shellcheck shell=bash
# Sourced by the shell-driven tests (slurm, multinode): named checks that count passes and
# failures, so one run reports every broken expectation, not just the first.
#   check DESCRIPTION COMMAND...   runs COMMAND; PASS/FAIL line
#   contains FILE TEXT             FILE holds TEXT (fixed string)
#   finish_checks                  prints the totals; returns non-zero when any check failed
passed=0
failed=0
check() {
  local description=$1
  shift
  if "$@"; then
    echo "PASS: ${description}"
    passed=$((passed + 1))
  else
    echo "FAIL: ${description}"
    failed=$((failed + 1))
  fi
}
contains() { grep -qF -- "$2" "$1"; }
finish_checks() {
  echo "${passed} passed, ${failed} failed"
  ((failed == 0))
}
