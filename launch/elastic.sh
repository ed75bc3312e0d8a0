#!/usr/bin/env bash
# Elastic gan_dist over a hostfile or inside a Slurm allocation: when the job ends because nodes
# were lost, relaunch on the nodes that still answer, resuming from the newest checkpoint on the
# smaller world with the same global batch; when a lost node answers again, stop at an agreed
# checkpoint and relaunch on the larger set.
#
#   launch/elastic.sh --hostfile FILE [options] -- GAN_DIST [gan_dist options...]
#   launch/elastic.sh --slurm [--tasks-per-node K] [options] -- GAN_DIST [gan_dist options...]
#
#   --hostfile       the nodes, one "NAME slots=K" per line (the job starts on all of them)
#   --slurm          the nodes of this Slurm job (SLURM_JOB_NODELIST), K tasks on each
#                    (--tasks-per-node, default SLURM_NTASKS_PER_NODE or 1); submit with
#                    --no-kill so the allocation outlives a node (launch/slurm/train_elastic.sbatch)
#   --min-nodes      stop when fewer nodes than this remain (default 1)
#   --max-restarts   stop after this many relaunches after failures (default 3; growing back to a
#                    returned node is not a failure and does not count)
#   --probe-every    while the job runs, how often lost nodes are probed (default 30 s)
#   --probe-timeout  how long a probe may take before the node counts as lost (default 15 s)
#   --mpirun         hostfile mode: the launcher command (default "mpirun"; on the simulated
#                    cluster "launch/cluster/sim_cluster.sh mpirun")
#   --srun           Slurm mode: the step launcher (default "srun --mpi=pmix --kill-on-bad-exit=1")
#   --leave-out-stragglers N
#                    leave out a node that gan_dist's straggler verdict (--monitor.straggler_every)
#                    named in N consecutive windows, when the measured figures predict more
#                    throughput without it: a node at speed s of the median rank holds n nodes to
#                    n*s node-equivalents; without it n-1 nodes run at full speed. Left when
#                    n*s < n-1 and n-1 >= --min-nodes, at an agreed checkpoint (default 0: off)
#   --straggler-rejoin-after
#                    seconds before a node left out as a straggler is tried again, like a returned
#                    node; doubled each time the same node is left out again (default 600)
#
# A node is usable when a one-task step on it (`MPIRUN --host NODE -np 1 true`, or `srun
# --nodelist=NODE --ntasks=1 true`) succeeds within the probe timeout. A job that fails while
# every node answers failed for another reason (a configuration error, a NaN abort, a bug): the
# launcher stops at once with the job's exit status instead of looping. Each event is one line
# on stderr: "elastic: node3 left at step 40 (world 3 -> 2 nodes)". USR1 sent to the launcher
# (a preemption warning) is passed to the job: it checkpoints and the launcher exits 0.
# Leaving out a straggler reads OUTPUT_DIR/stragglers.jsonl (needs --output.dir among the
# options) and python3.
set -uo pipefail

hostfile="" slurm=0 tasks_per_node=${SLURM_NTASKS_PER_NODE:-1} min_nodes=1 max_restarts=3 probe_every=30
probe_timeout=15 mpirun_command=mpirun srun_command="srun --mpi=pmix --kill-on-bad-exit=1"
leave_out_after=0 rejoin_after=600
usage() { sed -n '2,43p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "elastic: $*" >&2; exit 2; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --hostfile) hostfile=${2:-}; shift 2 ;;
    --slurm) slurm=1; shift ;;
    --tasks-per-node) tasks_per_node=${2:-}; shift 2 ;;
    --srun) srun_command=${2:-}; shift 2 ;;
    --min-nodes) min_nodes=${2:-}; shift 2 ;;
    --max-restarts) max_restarts=${2:-}; shift 2 ;;
    --probe-every) probe_every=${2:-}; shift 2 ;;
    --probe-timeout) probe_timeout=${2:-}; shift 2 ;;
    --mpirun) mpirun_command=${2:-}; shift 2 ;;
    --leave-out-stragglers) leave_out_after=${2:-}; shift 2 ;;
    --straggler-rejoin-after) rejoin_after=${2:-}; shift 2 ;;
    --) shift; break ;;
    -h|--help) usage ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
done
[[ $# -ge 1 ]] || die "missing '-- GAN_DIST [options...]'"
if ((slurm)); then
  [[ -z ${hostfile} ]] || die "--slurm and --hostfile exclude each other"
  [[ -n ${SLURM_JOB_NODELIST:-} ]] || die "--slurm: not inside a Slurm job (SLURM_JOB_NODELIST is unset)"
else
  [[ -r ${hostfile} ]] || die "--hostfile '${hostfile}': not a readable file"
fi
# Each value checked under its option's name, so the message says which one is wrong.
check_whole_number() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 expects a whole number, got '$2'"; }
check_whole_number --tasks-per-node "${tasks_per_node}"
check_whole_number --min-nodes "${min_nodes}"
check_whole_number --max-restarts "${max_restarts}"
check_whole_number --probe-every "${probe_every}"
check_whole_number --probe-timeout "${probe_timeout}"
check_whole_number --leave-out-stragglers "${leave_out_after}"
check_whole_number --straggler-rejoin-after "${rejoin_after}"
((probe_every >= 1)) || die "--probe-every must be at least 1 second"
((min_nodes >= 1)) || die "--min-nodes must be at least 1 (a job needs a node)"
((tasks_per_node >= 1)) || die "--tasks-per-node must be at least 1"
read -r -a mpirun_words <<<"${mpirun_command}"
read -r -a srun_words <<<"${srun_command}"

# The nodes and their slots, in hostfile (or allocation) order.
nodes=()
declare -A slots
if ((slurm)); then
  for name in $(scontrol show hostnames "${SLURM_JOB_NODELIST}"); do
    nodes+=("${name}")
    slots[${name}]=${tasks_per_node}
  done
  ((${#nodes[@]} > 0)) || die "--slurm: SLURM_JOB_NODELIST '${SLURM_JOB_NODELIST}' names no node"
else
  while read -r name rest; do
    [[ -z ${name} || ${name} == \#* ]] && continue
    nodes+=("${name}")
    # The word slots=K, not max_slots=K (Open MPI's hostfiles may carry both).
    slots[${name}]=1
    read -r -a words <<<"${rest}"
    for word in "${words[@]}"; do
      if [[ ${word} =~ ^slots=([0-9]+)$ ]]; then
        slots[${name}]=${BASH_REMATCH[1]}
        break
      fi
    done
  done <"${hostfile}"
  ((${#nodes[@]} > 0)) || die "--hostfile '${hostfile}' names no node"
fi

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
if ((leave_out_after > 0)); then
  [[ -n ${output_dir} ]] || die "--leave-out-stragglers reads OUTPUT_DIR/stragglers.jsonl: pass --output.dir to gan_dist"
  command -v python3 >/dev/null || die "--leave-out-stragglers needs python3 (to read stragglers.jsonl)"
fi

# The straggler to leave out, from this launch's windows of stragglers.jsonl (gan_dist records the
# launch id it was given, GAN_DIST_LAUNCH_ID: a relaunch's file still holds the failed launch's
# windows past the resumed step until gan_dist rewrites it): one line "NODE SPEED NODES
# EQUIVALENTS" when the last N windows all name NODE as the slowest node and the rule says the job
# is faster without it; nothing otherwise. SPEED: the median rank's compute over NODE's slowest
# rank's; NODES: the nodes of the last window; EQUIVALENTS: NODES * SPEED.
straggler_to_leave_out() {  # straggler_to_leave_out LAUNCH_ID ACTIVE_NODES
  python3 - "${output_dir}/stragglers.jsonl" "$1" "${leave_out_after}" "${min_nodes}" "$2" <<'PY' 2>/dev/null
import json, sys
path, launch, windows_needed, min_nodes, active = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
windows = []
for line in open(path):
    try:
        window = json.loads(line)
    except ValueError:
        continue  # a line being written
    if window.get("launch") == launch:
        windows.append(window)
last = windows[-windows_needed:]
if len(last) < windows_needed or any(not w.get("slow_nodes") for w in last):
    sys.exit(0)
node = last[-1]["slow_nodes"][0]
if any(w["slow_nodes"][0] != node for w in last):
    sys.exit(0)
compute, nodes, median = last[-1]["compute_ms"], last[-1]["nodes"], last[-1]["median_compute_ms"]
slowest = max(c for c, n in zip(compute, nodes) if n == node)
speed, count = median / slowest, min(len(set(nodes)), active)
if count * speed < count - 1 and count - 1 >= min_nodes:
    print(node, f"{speed:.2f}", count, f"{count * speed:.2f}")
PY
}

join_words() { local IFS=,; echo "$*"; }
# A one-task step on the node. Under Slurm a node that Slurm has declared DOWN has left this
# job's allocation (--no-kill keeps the rest), so its probe fails from then on.
# `timeout -k 1`: a probe asked to stop can linger (srun waits for a step on an unreachable node
# to be cancelled; measured 8 s past a 4 s --probe-timeout), so it is killed a second later.
usable() {
  if ((slurm)); then
    timeout -k 1 "${probe_timeout}" "${srun_words[0]}" --nodes=1 --ntasks=1 --nodelist="$1" --overlap --quiet true >/dev/null 2>&1
  else
    timeout -k 1 "${probe_timeout}" "${mpirun_words[@]}" --host "$1" -np 1 true >/dev/null 2>&1
  fi
}
# Waits for the child PID (the job) and sets waited_status to its exit status. A trapped signal
# (USR1) ends `wait` early with 128+N: the trap sets `trapped`, and the wait is repeated until it
# returns the child's own status. (A child that ends just as the signal arrives can still lose its
# status to bash; the probes therefore write theirs to files.)
trapped=0
wait_for_child() {  # wait_for_child PID
  while :; do
    trapped=0
    wait "$1"
    waited_status=$?
    ((trapped && waited_status > 128)) || return 0
  done
}
# Probes NODES all at once (a lost node costs one --probe-timeout, not one per node in turn);
# sets answering to those that answer and silent to the others, each in the given order.
probe_all() {  # probe_all NODES...
  local node pid i=0 pids=()
  for node in "$@"; do
    # Each probe leaves its status in a file: a `wait` that a trapped signal (USR1) interrupts can
    # lose the status of a child that ended meanwhile (seen: a node that answered counted as lost).
    (
      usable "${node}"
      echo $? >"${work}/probe.${i}"
    ) &
    pids+=($!)
    i=$((i + 1))
  done
  for pid in "${pids[@]}"; do
    while kill -0 "${pid}" 2>/dev/null; do wait "${pid}"; done
  done
  answering=() silent=()
  i=0
  for node in "$@"; do
    if [[ $(cat "${work}/probe.${i}" 2>/dev/null) == 0 ]]; then answering+=("${node}"); else silent+=("${node}"); fi
    rm -f "${work}/probe.${i}"
    i=$((i + 1))
  done
  return 0
}
# Starts the job on the active nodes in the background; sets job.
launch() {  # launch RANKS GAN_DIST_ARGS...
  local ranks=$1; shift
  if ((slurm)); then
    # --overlap: the failed step stays "completing" on the surviving nodes until Slurm hears
    # from the lost one, and holds their CPUs; without it the relaunch waits for that.
    "${srun_words[@]}" --overlap --nodes="${#active[@]}" --nodelist="$(join_words "${active[@]}")" --ntasks="${ranks}" \
      --ntasks-per-node="${tasks_per_node}" "$@" --output.resume=auto &
  else
    "${mpirun_words[@]}" --hostfile "${work}/hostfile" -np "${ranks}" -x GAN_DIST_LAUNCH_ID "$@" --output.resume=auto &
  fi
  job=$!
}

# A preemption warning (USR1 to this launcher) is passed to the job: it stops at a checkpoint.
# Between launches there is no job to pass it to (its PID may already be another process's):
# the launcher then does not relaunch, and the newest checkpoint stands.
preempted=0
job=""
forward_preemption() {
  preempted=1
  trapped=1
  if [[ -n ${job} ]]; then
    echo "elastic: preemption signal: stopping the job at a checkpoint" >&2
    kill -USR1 "${job}" 2>/dev/null
  else
    echo "elastic: preemption signal between launches: not relaunching" >&2
  fi
}
trap forward_preemption USR1

# After the launcher asked the job to stop (to grow, or to leave a straggler out): normally an
# agreed checkpoint and exit 0. A job stopped before it had started training exits non-zero, but it
# ran before on these nodes with these options, so that is no reason to give up: it counts as a
# restart.
after_agreed_stop() {  # after_agreed_stop WHY (uses status)
  ((status != 0)) || return 0
  restarts=$((restarts + 1))
  echo "elastic: the job ended with exit ${status} when asked to stop for $1 (relaunch ${restarts} of ${max_restarts})" >&2
  ((restarts <= max_restarts)) || { echo "elastic: ${max_restarts} relaunch(es) used (--max-restarts): stopping" >&2; exit "${status}"; }
}

work=$(mktemp -d /tmp/gan_elastic.XXXXXX)
trap 'rm -rf "${work}"' EXIT
active=("${nodes[@]}")
restarts=0
# Nodes left out as stragglers: when each may be tried again (SECONDS), and its next wait.
declare -A benched_until rejoin_wait
# The hostfile's name of a node the job named (a hostname may carry a domain the hostfile omits).
hostfile_name() {
  local node
  for node in "${active[@]}"; do
    [[ ${node} == "$1" || ${node} == "${1%%.*}" || ${node%%.*} == "${1%%.*}" ]] && { echo "${node}"; return; }
  done
}
while true; do
  ranks=0
  : >"${work}/hostfile"
  for node in "${active[@]}"; do
    echo "${node} slots=${slots[${node}]}" >>"${work}/hostfile"
    ranks=$((ranks + slots[${node}]))
  done
  if ((preempted)); then
    echo "elastic: stopped for preemption before relaunching (the newest checkpoint stands)" >&2
    exit 0
  fi
  echo "elastic: launching on $(join_words "${active[@]}") (${ranks} ranks)" >&2
  launches=$((${launches:-0} + 1))
  export GAN_DIST_LAUNCH_ID="$$-${launches}"  # srun passes the environment on; mpirun with -x
  launch "${ranks}" "$@"
  returned=()
  leaving=""
  not_ours=""
  # While it runs, look for lost nodes that answer again (every --probe-every seconds, until one
  # does; then only wait for the agreed stop).
  waited=0
  while kill -0 "${job}" 2>/dev/null; do
    sleep 1
    waited=$((waited + 1))
    if ((leave_out_after > 0 && waited == 300)) && [[ ! -e ${output_dir}/stragglers.jsonl ]]; then
      echo "elastic: --leave-out-stragglers: no ${output_dir}/stragglers.jsonl on this node after 300 s (rank 0's" \
           "output directory is on another node, or --monitor.straggler_every=0): stragglers will not be left out" >&2
    fi
    if ((leave_out_after > 0 && ${#returned[@]} == 0 && !preempted)) && [[ -z ${leaving} ]]; then
      verdict=$(straggler_to_leave_out "${GAN_DIST_LAUNCH_ID}" "${#active[@]}")
      if [[ -n ${verdict} ]]; then
        read -r named speed count equivalents <<<"${verdict}"
        leaving=$(hostfile_name "${named}")
        if [[ -z ${leaving} ]]; then
          # Said once per launch; a later verdict naming one of its nodes is still acted on.
          [[ ${not_ours} == "${named}" ]] ||
            echo "elastic: straggler ${named} is not a node of this launcher (${active[*]}): not leaving it out" >&2
          not_ours=${named}
        else
          echo "elastic: ${leaving} was the straggler in ${leave_out_after} consecutive windows at ${speed} of the median" \
               "rank's speed: ${count} nodes at its pace make ${equivalents}" \
               "node-equivalents, $((count - 1)) without it: stopping at a checkpoint to leave it out" >&2
          kill -USR1 "${job}" 2>/dev/null
        fi
      fi
    fi
    if ! ((${#returned[@]} == 0 && !preempted && waited % probe_every == 0)) || [[ -n ${leaving} ]]; then continue; fi
    candidates=()
    for node in "${nodes[@]}"; do
      [[ " ${active[*]} " == *" ${node} "* ]] && continue
      # A node left out as a straggler answers probes; it is tried again only after its wait.
      ((${benched_until[${node}]:-0} > SECONDS)) && continue
      candidates+=("${node}")
    done
    if ((${#candidates[@]} > 0)); then
      probe_all "${candidates[@]}"
      returned=("${answering[@]}")
    fi
    if ((${#returned[@]} > 0)); then
      # An agreed stop: every rank finishes the step, rank 0 writes a checkpoint, all exit 0.
      echo "elastic: $(join_words "${returned[@]}") answers again: stopping at a checkpoint to grow" >&2
      kill -USR1 "${job}" 2>/dev/null
    fi
  done
  wait_for_child "${job}"
  status=${waited_status}
  job=""  # reaped: its PID is free for any process now
  if ((preempted)); then
    echo "elastic: stopped for preemption (exit ${status})" >&2
    exit "${status}"
  fi

  if [[ -n ${leaving} ]]; then
    after_agreed_stop "a straggler"
    before=${#active[@]}
    kept=()
    for node in "${active[@]}"; do [[ ${node} != "${leaving}" ]] && kept+=("${node}"); done
    active=("${kept[@]}")
    wait_s=${rejoin_wait[${leaving}]:-${rejoin_after}}
    benched_until[${leaving}]=$((SECONDS + wait_s))
    rejoin_wait[${leaving}]=$((wait_s * 2))
    echo "elastic: ${leaving} left out at step $(checkpoint_step) as a straggler (world ${before} -> ${#active[@]} nodes); tried again in ${wait_s} s" >&2
    continue
  fi
  if ((${#returned[@]} > 0)); then
    after_agreed_stop "growth"
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
  probe_all "${active[@]}"
  kept=("${answering[@]}") lost=("${silent[@]}")
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
