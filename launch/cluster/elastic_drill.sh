#!/usr/bin/env bash
# Measures what a lost node costs an elastic run: on a simulated 3-node cluster, launch/elastic.sh
# trains the reference MLP; a node fails at a random moment, returns, the job grows back, and
# again, --faults times. One row per fault: the step it hit, the checkpoint resumed from, the
# steps computed twice, and the seconds to notice the loss, to train again, and to get back to
# the step where the fault hit. Needs root (the simulated cluster).
#   launch/cluster/elastic_drill.sh BUILD_DIR [--faults N] [--checkpoint-every STEPS] [--timeout S]
#                                   [--node-local] [--fail-node I]
#     --faults            node failures to inject (default 3)
#     --checkpoint-every  gan_dist's --output.checkpoint_every (default 200)
#     --timeout           gan_dist's --comm.timeout_s: how long survivors wait for a lost peer (default 10)
#     --node-local        each node has its own output directory (no shared file system)
#     --fail-node         the node that fails (default 3; 1 is the node of rank 0)
set -uo pipefail
build=$(cd "${1:?usage: elastic_drill.sh BUILD_DIR [--faults N] [--checkpoint-every STEPS] [--timeout S] [--node-local] [--fail-node I]}" && pwd)
shift
faults=3 checkpoint_every=200 timeout_s=10 node_local=0 fail_node=3
while [[ $# -gt 0 ]]; do
  case $1 in
    --faults) faults=$2; shift 2 ;;
    --checkpoint-every) checkpoint_every=$2; shift 2 ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --node-local) node_local=1; shift ;;
    --fail-node) fail_node=$2; shift 2 ;;
    *) echo "elastic_drill: unknown option '$1'" >&2; exit 2 ;;
  esac
done
[[ ${fail_node} =~ ^[123]$ ]] || { echo "elastic_drill: --fail-node must be 1, 2 or 3" >&2; exit 2; }
[[ $(id -u) -eq 0 ]] || { echo "elastic_drill: needs root (network namespaces)" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/gan_elastic_drill.XXXXXX)
export GAN_SIM_CLUSTER_DIR=${work}/cluster
cluster() { bash "${here}/sim_cluster.sh" "$@"; }
trap 'kill "${launcher:-}" 2>/dev/null; cluster down >/dev/null 2>&1; rm -rf "${work}"' EXIT
out=${work}/run
if ((node_local)); then
  cluster up 3 --slots 1 --private-dir "${work}/node_local" >/dev/null || exit 1
  out=${work}/node_local/run
  # What each node wrote, seen from here: its private directory.
  node_runs=("${GAN_SIM_CLUSTER_DIR}"/private/node{1,2,3}/run)
else
  cluster up 3 --slots 1 >/dev/null || exit 1
  node_runs=("${out}")
fi
# mpirun runs on the first node of each launch, which holds rank 0 (sim_cluster.sh's head_node).
fail_host=node${fail_node}

log=${work}/elastic.log
bash "${here}/../elastic.sh" --hostfile "${GAN_SIM_CLUSTER_DIR}/hostfile" --probe-every 2 --probe-timeout 8 \
  --max-restarts $((faults + 1)) --mpirun "bash ${here}/sim_cluster.sh mpirun" \
  -- "${build}/gan_dist" \
  --config "${here}/../../configs/fashion_mnist_mlp.ini" --train.batch_size=16 --output.sample_every=0 \
  --output.report=false --output.tensorboard=false --output.dir="${out}" --train.max_steps=10000000 \
  --output.log_every=1 --output.checkpoint_every="${checkpoint_every}" --comm.timeout_s="${timeout_s}" >"${log}" 2>&1 &
launcher=$!

now() { date +%s.%N; }
since() { awk -v a="${started}" -v b="$1" 'BEGIN { print b - a }'; }  # seconds from the fault to $1
# The step the job's rank 0 logged last: the newest line of the metrics file written most recently
# (with node-local directories, rank 0's node changes, and a returned node's file is stale).
last_step() {
  local run newest=""
  for run in "${node_runs[@]}"; do
    [[ -f ${run}/metrics.jsonl && ( -z ${newest} || ${run}/metrics.jsonl -nt ${newest} ) ]] && newest=${run}/metrics.jsonl
  done
  [[ -n ${newest} ]] && tail -n 1 "${newest}" | sed -n 's/.*"step":\([0-9]*\).*/\1/p'
}
any_checkpoint() {
  local run
  for run in "${node_runs[@]}"; do [[ -L ${run}/checkpoints/latest ]] && return 0; done
  return 1
}
wait_for() {  # wait_for SECONDS COMMAND...: polls every 0.1 s
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.1; done
}
events() { grep -c "$1" "${log}"; }
past_step() { local step; step=$(last_step); [[ -n ${step} ]] && ((step > $1)); }

printf '%-6s %-10s %-12s %-12s %-12s %-14s %-14s\n' fault "at step" "resumed at" "steps redone" "detected (s)" "training (s)" "caught up (s)"
for fault in $(seq "${faults}"); do
  joined=$(events "joined at step")
  # A random moment past the first checkpoint of this launch.
  wait_for 300 any_checkpoint || { echo "no checkpoint" >&2; exit 1; }
  sleep "$(awk -v seed="${RANDOM}" 'BEGIN { srand(seed); printf "%.1f", 2 + rand() * 4 }')"
  resumes=$(events "^resumed from")
  at_step=$(last_step)
  started=$(now)
  cluster fail "${fail_node}"
  wait_for 300 bash -c "(( \$(grep -c '${fail_host} left' '${log}') >= ${fault} ))" || exit 1
  detected=$(now)
  wait_for 300 bash -c "(( \$(grep -c '^resumed from' '${log}') > ${resumes} ))" || exit 1
  resumed_at=$(grep '^resumed from' "${log}" | tail -n 1 | sed -n 's/.* at step \([0-9]*\)$/\1/p')
  wait_for 300 past_step "${resumed_at}" || exit 1
  training=$(now)
  wait_for 300 past_step "${at_step}" || exit 1
  caught_up=$(now)
  printf '%-6s %-10s %-12s %-12s %-12.1f %-14.1f %-14.1f\n' "${fault}" "${at_step}" "${resumed_at}" \
    $((at_step - resumed_at)) "$(since "${detected}")" "$(since "${training}")" "$(since "${caught_up}")"
  cluster restore "${fail_node}"
  wait_for 300 bash -c "(( \$(grep -c 'joined at step' '${log}') > ${joined} ))" || exit 1
  # Back on 3 nodes and training before the next fault.
  wait_for 300 bash -c "(( \$(grep -c '^resumed from' '${log}') > ${resumes} + 1 ))" || exit 1
  wait_for 300 past_step "$(grep '^resumed from' "${log}" | tail -n 1 | sed -n 's/.* at step \([0-9]*\)$/\1/p')" || exit 1
done
python3 - "${checkpoint_every}" "${node_runs[@]}" <<'PY'
import json, os, statistics, sys
rows = [json.loads(line) for run in sys.argv[2:] if os.path.exists(run + "/metrics.jsonl")
        for line in open(run + "/metrics.jsonl")]
rows = [r for r in rows if "samples_per_s" in r]
pause = max(r.get("checkpoint_s", 0) for r in rows)
write = max(r.get("checkpoint_write_s", 0) for r in rows)
rate = statistics.median(r["samples_per_s"] for r in rows)
print(f"checkpoint every {sys.argv[1]} steps: training pauses up to {pause:.3f} s per checkpoint, the background "
      f"write takes up to {write:.3f} s; median {rate:.0f} samples/s = {48 / rate * 1e3:.1f} ms per step of 48 samples")
PY
