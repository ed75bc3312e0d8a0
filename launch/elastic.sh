#!/usr/bin/env bash
# Elastic gan_dist over a hostfile: when the job ends because nodes were lost, relaunch on the
# nodes that still answer, resuming from the newest checkpoint on the smaller world with the same
# global batch; when a lost node answers again, stop at an agreed checkpoint and relaunch on the
# larger set.
#
#   launch/elastic.sh --hostfile FILE [--min-nodes N] [--max-restarts N] [--probe-every SECONDS]
#                     [--probe-timeout SECONDS] [--mpirun "COMMAND"] -- GAN_DIST [gan_dist options...]
#
#   --hostfile       the nodes, one "NAME slots=K" per line (the job starts on all of them)
#   --min-nodes      stop when fewer nodes than this remain (default 1)
#   --max-restarts   stop after this many relaunches after failures (default 3; growing back to a
#                    returned node is not a failure and does not count)
#   --probe-every    while the job runs, how often lost nodes are probed (default 30 s)
#   --probe-timeout  how long a probe may take before the node counts as lost (default 15 s)
#   --mpirun         the launcher command (default "mpirun"; on the simulated cluster
#                    "launch/cluster/sim_cluster.sh mpirun")
#
# A node is usable when `MPIRUN --host NODE -np 1 true` succeeds within the probe timeout. A job
# that fails while every node answers failed for another reason (a configuration error, a NaN
# abort, a bug): the launcher stops at once with the job's exit status instead of looping. Each
# event is one line on stderr: "elastic: node3 left at step 40 (world 3 -> 2)".
set -uo pipefail

hostfile="" min_nodes=1 max_restarts=3 probe_every=30 probe_timeout=15 mpirun_command=mpirun
usage() { sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "elastic: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --hostfile) hostfile=${2:-}; shift 2 ;;
    --min-nodes) min_nodes=${2:-}; shift 2 ;;
    --max-restarts) max_restarts=${2:-}; shift 2 ;;
    --probe-every) probe_every=${2:-}; shift 2 ;;
    --probe-timeout) probe_timeout=${2:-}; shift 2 ;;
    --mpirun) mpirun_command=${2:-}; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $# -ge 1 ]] || die "missing '-- GAN_DIST [options...]'"
[[ -r ${hostfile} ]] || die "--hostfile '${hostfile}': not a readable file"
for number in "${min_nodes}" "${max_restarts}" "${probe_every}" "${probe_timeout}"; do
  [[ ${number} =~ ^[0-9]+$ ]] || die "expected a whole number, got '${number}'"
done
((probe_every >= 1)) || die "--probe-every must be at least 1 second"
read -r -a mpirun_words <<<"${mpirun_command}"

# The nodes and their slots, in hostfile order.
nodes=()
declare -A slots
while read -r name rest; do
  [[ -z ${name} || ${name} == \#* ]] && continue
  nodes+=("${name}")
  slots[${name}]=$(sed -n 's/.*slots=\([0-9]*\).*/\1/p' <<<"${rest}")
  [[ -n ${slots[${name}]} ]] || slots[${name}]=1
done <"${hostfile}"
((${#nodes[@]} > 0)) || die "--hostfile '${hostfile}' names no node"

# The newest checkpoint's step, when the options name the output directory.
output_dir=""
previous=""
for arg in "$@"; do
  [[ ${previous} == --output.dir ]] && output_dir=${arg}
  [[ ${arg} == --output.dir=* ]] && output_dir=${arg#--output.dir=}
  previous=${arg}
done
checkpoint_step() {
  local latest
  latest=$(readlink "${output_dir}/checkpoints/latest" 2>/dev/null) || { echo "?"; return; }
  echo $((10#${latest#step_}))
}

usable() { timeout "${probe_timeout}" "${mpirun_words[@]}" --host "$1" -np 1 true >/dev/null 2>&1; }
join_words() { local IFS=,; echo "$*"; }

work=$(mktemp -d /tmp/gan_elastic.XXXXXX)
trap 'rm -rf "${work}"' EXIT
active=("${nodes[@]}")
restarts=0
while true; do
  ranks=0
  : >"${work}/hostfile"
  for node in "${active[@]}"; do
    echo "${node} slots=${slots[${node}]}" >>"${work}/hostfile"
    ranks=$((ranks + slots[${node}]))
  done
  echo "elastic: launching on $(join_words "${active[@]}") (${ranks} ranks)" >&2
  "${mpirun_words[@]}" --hostfile "${work}/hostfile" -np "${ranks}" "$@" --output.resume=auto &
  job=$!
  returned=()
  # While it runs, look for lost nodes that answer again (every --probe-every seconds, until one
  # does; then only wait for the agreed stop).
  waited=0
  while kill -0 "${job}" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    ((${#returned[@]} == 0 && waited % probe_every == 0)) || continue
    for node in "${nodes[@]}"; do
      [[ " ${active[*]} " == *" ${node} "* ]] && continue
      if usable "${node}"; then returned+=("${node}"); fi
    done
    if ((${#returned[@]} > 0)); then
      # An agreed stop: every rank finishes the step, rank 0 writes a checkpoint, all exit 0.
      echo "elastic: $(join_words "${returned[@]}") answers again: stopping at a checkpoint to grow" >&2
      kill -USR1 "${job}" 2>/dev/null
    fi
  done
  wait "${job}"
  status=$?

  if ((${#returned[@]} > 0)) && ((status == 0)); then
    before=${#active[@]}
    grown=()
    for node in "${nodes[@]}"; do
      [[ " ${active[*]} ${returned[*]} " == *" ${node} "* ]] && grown+=("${node}")
    done
    active=("${grown[@]}")
    echo "elastic: $(join_words "${returned[@]}") joined at step $(checkpoint_step) (world ${before} -> ${#active[@]} nodes)" >&2
    continue
  fi
  if ((status == 0)); then
    echo "elastic: training finished" >&2
    exit 0
  fi

  # A failure: lost nodes, or something else?
  lost=() kept=()
  for node in "${active[@]}"; do
    if usable "${node}"; then kept+=("${node}"); else lost+=("${node}"); fi
  done
  if ((${#lost[@]} == 0)); then
    echo "elastic: the job failed (exit ${status}) and every node answers: not a lost node, not relaunching" >&2
    exit "${status}"
  fi
  echo "elastic: $(join_words "${lost[@]}") left at step $(checkpoint_step) (world ${#active[@]} -> ${#kept[@]} nodes)" >&2
  active=("${kept[@]}")
  restarts=$((restarts + 1))
  if ((${#active[@]} < min_nodes)); then
    echo "elastic: ${#active[@]} node(s) left, fewer than --min-nodes ${min_nodes}: stopping" >&2
    exit "${status}"
  fi
  if ((restarts > max_restarts)); then
    echo "elastic: ${max_restarts} relaunch(es) used (--max-restarts): stopping" >&2
    exit "${status}"
  fi
done
