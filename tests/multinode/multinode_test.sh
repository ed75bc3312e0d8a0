#!/usr/bin/env bash
# The multinode-labelled tests: gan_dist across the nodes of a simulated cluster
# (launch/cluster/sim_cluster.sh: network namespaces joined by veth links, TCP between nodes).
#   tests/multinode/multinode_test.sh CASE BUILD_DIR SOURCE_DIR
# CASE:
#   across_nodes  2 nodes x 2 ranks train the trajectory of 1 node x 4 ranks (50 steps, same global
#                 batch); the gradients crossed the links (veth byte counters); placement and
#                 node-local ranks right; rank 0's outputs where docs/watching-a-run.md says
#   node_dies     kill -9 of every process of node 2 mid-run: the job ends promptly, non-zero,
#                 naming the host; the last checkpoint loads and a rerun resumes from it
#   node_hangs    SIGSTOP of node 2's ranks: the job ends within --comm.timeout_s + 30 s and the
#                 verdict names the ranks and host that never joined which collective;
#                 gan_report --hang prints the per-rank table
#   link_down     node 2's link goes down: every rank joined and the verdict names the network
#                 between the nodes
#   elastic       3 nodes under launch/elastic.sh: node 3 fails, the job continues on nodes 1-2 from
#                 the last checkpoint, node 3 returns and the job grows back at a checkpoint;
#                 the relaunched steps equal a straight 2-node run from the same checkpoint; every
#                 step once in metrics.jsonl; a configuration error and a NaN abort are not relaunched
#   elastic_private  3 nodes with node-local output directories (sim_cluster.sh --private-dir: no
#                 shared file system): the node of rank 0 fails, the launcher continues from the
#                 newest checkpoint another node holds (never from step 0; at most one checkpoint
#                 interval redone); the node returns with its stale copies, and the job grows back
#                 from the newest copy, not from the stale one
#   elastic_straggler  3 nodes under launch/elastic.sh --leave-out-stragglers 2: busy loops on node 2's
#                 core make it a straggler; the verdict names it, the launcher leaves it out at a
#                 checkpoint (samples/s rises, printed), tries it again after 10 s, and it rejoins
#                 once well
#   slurm_elastic the elastic case through Slurm: sbatch --nodes=3 --no-kill of
#                 launch/slurm/train_elastic.sbatch; node 3 fails, the job continues on nodes 1-2
#                 inside the same allocation; node 3's slurmd returns and the job grows back
#   slurm_across_nodes  a local Slurm with one slurmd per node namespace: sbatch --nodes=2 trains
#                 across both through srun --mpi=pmix; USR1 preemption gives one agreed checkpoint
#                 and a requeued run that resumes from it
# Needs root; without it exits 77 (CTest: skipped) and says why. The cluster is torn down on
# exit, pass or fail.
set -uo pipefail
case_name=${1:?usage: multinode_test.sh CASE BUILD_DIR SOURCE_DIR}
build=$(cd "$2" && pwd)
source_dir=$(cd "$3" && pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "SKIPPED: the simulated cluster needs root (network namespaces, veth links, qdiscs)"
  exit 77
fi
if ! ip netns add gsim-probe 2>/dev/null; then
  echo "SKIPPED: this machine does not allow network namespaces (ip netns add failed)"
  exit 77
fi
ip netns delete gsim-probe

source "${source_dir}/tests/support/shell_checks.sh"
work=${build}/multinode_test/${case_name}
rm -rf "${work}"
mkdir -p "${work}"
export GAN_SIM_CLUSTER_DIR=${work}/cluster
cluster() { bash "${source_dir}/launch/cluster/sim_cluster.sh" "$@"; }
trap 'cluster down >/dev/null 2>&1' EXIT
cluster up 2 --slots 2 || exit 1

gan_dist=${build}/gan_dist
config=${source_dir}/configs/fashion_mnist_mlp.ini
# Short, quiet runs of the reference MLP: 16 rows per rank.
base=(--config "${config}" --train.batch_size=16 --output.sample_every=0 --output.report=false)

node_bytes() {  # node_bytes NODE rx|tx
  ip netns exec "gsim-node$1" cat "/sys/class/net/eth0/statistics/$2_bytes"
}
gan_pids_on() {  # gan_pids_on NODE: gan_dist processes in that node's namespace
  local pid
  for pid in $(ip netns pids "gsim-node$1"); do
    grep -qa gan_dist "/proc/${pid}/cmdline" 2>/dev/null && echo "${pid}"
  done
}
wait_for_file() {  # wait_for_file PATH SECONDS
  for _ in $(seq $(($2 * 5))); do [[ -e $1 ]] && return 0; sleep 0.2; done
  return 1
}
# Starts a long 2x2 run in the background; sets run_pid, run_out, run_log.
start_long_run() {  # start_long_run NAME [gan_dist options...]
  run_out=${work}/$1
  run_log=${work}/$1.log
  shift
  cluster mpirun -np 4 "${gan_dist}" "${base[@]}" --output.dir="${run_out}" --train.max_steps=100000 \
    --output.log_every=100 --output.checkpoint_every=20 "$@" >"${run_log}" 2>&1 &
  run_pid=$!
}
# Waits for the background run; sets run_rc and run_seconds (since the fault).
finish_long_run() {  # finish_long_run FAULT_TIME LIMIT_SECONDS
  local deadline=$(($1 + $2 + 30))
  while kill -0 "${run_pid}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 "${run_pid}" 2>/dev/null; then
    echo "the job did not end by itself; killing it"
    pkill -9 -f "${gan_dist}" 2>/dev/null
    pkill -9 mpirun 2>/dev/null
  fi
  wait "${run_pid}"
  run_rc=$?
  run_seconds=$((SECONDS - $1))
}
within() { (($1 <= $2)); }
# Waits up to SECONDS for the elastic launcher (pid in $launcher) to finish; returns its status.
launcher_finishes() {  # launcher_finishes SECONDS
  local deadline=$((SECONDS + $1))
  while kill -0 "${launcher}" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  kill "${launcher}" 2>/dev/null
  wait "${launcher}"
}

case ${case_name} in
  across_nodes)
    rx1=$(node_bytes 1 rx); rx2=$(node_bytes 2 rx)
    opts=("${base[@]}" --train.max_steps=50 --output.log_every=1 --output.checkpoint_every=50)
    cluster mpirun -np 4 "${gan_dist}" "${opts[@]}" --output.dir="${work}/two_nodes" >"${work}/two_nodes.log" 2>&1
    check "2 nodes x 2 ranks: the job succeeded" test $? -eq 0
    rx1_after=$(node_bytes 1 rx); rx2_after=$(node_bytes 2 rx)
    log=${work}/two_nodes.log
    check "placement: node1 holds ranks 0-1, node2 ranks 2-3" contains "${log}" "placement: 2 node(s): node1 ranks 0-1, node2 ranks 2-3"
    check "node-local ranks agree with the hosts" bash -c "! grep -q 'node-local ranks disagree' '${log}'"
    # Each node must receive at least the other node's share of every reduced value: the whole
    # gradient (G and D, 4 bytes per parameter) once per step. The counters prove it crossed.
    params=$(sed -n 's/^model: G \([0-9]*\) parameters, D \([0-9]*\) parameters.*/\1 \2/p' "${log}")
    read -r g_params d_params <<<"${params:-0 0}"
    floor=$(( 50 * (g_params + d_params) * 4 ))
    check "node1 received >= 50 steps of gradients (${floor} bytes) over its link" within "${floor}" $((rx1_after - rx1))
    check "node2 received >= 50 steps of gradients (${floor} bytes) over its link" within "${floor}" $((rx2_after - rx2))
    check "rank 0's metrics are in the output directory" test "$(wc -l <"${work}/two_nodes/metrics.jsonl")" -eq 50
    check "rank 0's checkpoint is in the output directory" test -f "${work}/two_nodes/checkpoints/step_00000050/MANIFEST"
    # The same global batch on one node: 4 ranks of 16 through shared memory, reduced by MPI's
    # allreduce as across the nodes. (gan_dist's own one-node path sums in rank order, Open MPI's
    # algorithm in another order, and in float32 the two trajectories drift apart by ~1e-5 over
    # 40 steps: measured 1.5e-5 at step 38. This case compares the network against one node.)
    mpi_flags=(--oversubscribe --bind-to none -x GAN_DIST_INTRANODE_ALLREDUCE=mpi)
    [[ $(id -u) -eq 0 ]] && mpi_flags+=(--allow-run-as-root)
    mpirun "${mpi_flags[@]}" -np 4 "${gan_dist}" "${opts[@]}" --output.dir="${work}/one_node" >"${work}/one_node.log" 2>&1
    check "1 node x 4 ranks: the job succeeded" test $? -eq 0
    check "the two trajectories agree over 50 steps (losses within 1e-5 relative)" \
      python3 - "${work}/two_nodes/metrics.jsonl" "${work}/one_node/metrics.jsonl" <<'PY'
import json, sys
a = [json.loads(line) for line in open(sys.argv[1])]
b = [json.loads(line) for line in open(sys.argv[2])]
assert len(a) == len(b) == 50, (len(a), len(b))
for x, y in zip(a, b):
    for key in ("loss_d", "loss_g", "d_real", "d_fake"):
        assert abs(x[key] - y[key]) <= 1e-5 * max(1.0, abs(y[key])), (x["step"], key, x[key], y[key])
PY
    ;;

  node_dies)
    start_long_run run --comm.timeout_s=10
    check "the run wrote its step-20 checkpoint" wait_for_file "${run_out}/checkpoints/step_00000020/MANIFEST" 90
    fault=${SECONDS}
    for pid in $(ip netns pids gsim-node2); do kill -9 "${pid}" 2>/dev/null; done
    finish_long_run "${fault}" 10
    check "the job ended non-zero" test "${run_rc}" -ne 0
    check "the job ended within timeout + 30 s of the fault (${run_seconds} s)" within "${run_seconds}" 40
    check "the failure names the lost host" contains "${run_log}" "node2"
    check "the start-up placement maps that host to its ranks" contains "${run_log}" "node2 ranks 2-3"
    last=$(basename "$(readlink -f "${run_out}/checkpoints/latest")")
    last_step=$((10#${last#step_}))
    check "a checkpoint survived (${last})" test "${last_step}" -ge 20
    cluster mpirun -np 4 "${gan_dist}" "${base[@]}" --output.dir="${run_out}" --output.resume=auto \
      --train.max_steps=$((last_step + 10)) --output.log_every=10 >"${work}/rerun.log" 2>&1
    check "the rerun succeeded" test $? -eq 0
    check "the rerun resumed from the last checkpoint" contains "${work}/rerun.log" "resumed from ${run_out}/checkpoints/${last} at step ${last_step}"
    ;;

  node_hangs)
    start_long_run run --comm.timeout_s=5
    check "the run wrote its step-20 checkpoint" wait_for_file "${run_out}/checkpoints/step_00000020/MANIFEST" 90
    fault=${SECONDS}
    for pid in $(gan_pids_on 2); do kill -STOP "${pid}"; done
    finish_long_run "${fault}" 5
    check "the job ended non-zero" test "${run_rc}" -ne 0
    check "the job ended within timeout + 30 s of the hang (${run_seconds} s)" within "${run_seconds}" 35
    check "the verdict names the ranks and host that never joined" contains "${run_log}" "ranks 2-3 (node2) did not join (no record: stopped or gone)"
    check "the verdict names the collective, phase and step" grep -qE "hang at (allreduce|broadcast|barrier) #[0-9]+ \([^)]* of step [0-9]+\)" "${run_log}"
    check "the waiting ranks left their records" test -f "${run_out}/hang/rank_00000.json" -a -f "${run_out}/hang/rank_00001.json"
    "${build}/gan_report" --hang "${run_out}" >"${work}/report.txt" 2>&1
    check "gan_report --hang prints the table" grep -qE "^2 +node2 +\(no record: stopped or gone\)" "${work}/report.txt"
    ;;

  link_down)
    start_long_run run --comm.timeout_s=5
    check "the run wrote its step-20 checkpoint" wait_for_file "${run_out}/checkpoints/step_00000020/MANIFEST" 90
    fault=${SECONDS}
    ip netns exec gsim-node2 ip link set eth0 down
    finish_long_run "${fault}" 5
    check "the job ended non-zero" test "${run_rc}" -ne 0
    check "the job ended within timeout + 30 s of the fault (${run_seconds} s)" within "${run_seconds}" 35
    check "the verdict names the network between the nodes" contains "${run_log}" "the network between node1 (ranks 0-1) and node2 (ranks 2-3) dropped or stalled"
    ;;

  slurm_across_nodes)
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
      echo "SKIPPED: needs Debian's slurmctld slurmd slurm-client munge (launch/install_deps.sh)"
      exit 77
    fi
    source "${source_dir}/tests/slurm/local_slurm.sh"
    trap 'slurm_down; cluster down >/dev/null 2>&1' EXIT
    # One slurmd inside each node's namespace, slurmctld on node 1; clients run on node 1.
    slurm_up "${work}/slurm" node1=198.18.0.11 node2=198.18.0.12 || exit 1
    export GAN_DIST_HOME=${source_dir} GAN_DIST_BIN=${gan_dist} GAN_RUNS=${work}/runs
    export OMPI_MCA_btl_tcp_if_include=eth0  # the cluster link (the job inherits the environment)
    cd "${work}" || exit 1
    job=$(slurm_client sbatch --parsable --nodes=2 --ntasks-per-node=1 \
          "${source_dir}/launch/slurm/train_cpu.sbatch" --train.max_steps=30 --output.log_every=10 --output.sample_every=0)
    wait_for_end "${job}" 120
    log=${work}/gan_dist_${job}.out
    check "sbatch --nodes=2: job ${job} completed" test "$(job_field "${job}" JobState)" = COMPLETED
    check "srun --mpi=pmix placed one rank on each node" contains "${log}" "placement: 2 node(s): node1 rank 0, node2 rank 1"
    check "the final checkpoint" test -f "${GAN_RUNS}/slurm_${job}/checkpoints/step_00000030/MANIFEST"
    # Preemption across nodes: USR1 to the batch shell, one agreed checkpoint, requeue, resume.
    job=$(slurm_client sbatch --parsable --nodes=2 --ntasks-per-node=1 "${source_dir}/launch/slurm/train_cpu.sbatch" \
          --train.max_steps=1000 --output.log_every=100 --output.sample_every=0 --output.checkpoint_every=1000)
    out=${GAN_RUNS}/slurm_${job}
    log=${work}/gan_dist_${job}.out
    for _ in $(seq 240); do [[ -s ${out}/metrics.jsonl ]] && break; sleep 0.5; done
    check "preemption: the job is training" test -s "${out}/metrics.jsonl"
    slurm_client scancel --batch --signal=USR1 "${job}"
    wait_for_state "${job}" COMPLETED 180
    check "preemption: job completed after its requeue" test "$(job_field "${job}" JobState)" = COMPLETED
    check "preemption: it was restarted once" test "$(job_field "${job}" Restarts)" = 1
    check "preemption: the signal reached both nodes' ranks" contains "${log}" "stop requested (SIGUSR1 on some rank)"
    stopped_at=$(sed -n 's/.*stop requested (SIGUSR1 on some rank) at step \([0-9]*\).*/\1/p' "${log}" | head -n 1)
    check "preemption: one agreed checkpoint (step ${stopped_at:-?})" \
      test "$(find "${out}/checkpoints" -mindepth 1 -maxdepth 1 -name 'step_*' | wc -l)" -eq 2 -a -f "${out}/checkpoints/$(printf 'step_%08d' "${stopped_at:-0}")/MANIFEST"
    check "preemption: the rerun resumed from it" contains "${log}" "resumed from ${out}/checkpoints/$(printf 'step_%08d' "${stopped_at:-0}")"
    check "preemption: the rerun finished" test -f "${out}/checkpoints/step_00001000/MANIFEST"
    ;;

  elastic_private)
    # Node-local output directories: each node sees its own ${private}; the host sees node I's
    # files under the cluster's private/nodeI.
    private=${work}/node_local
    cluster up 3 --slots 1 --private-dir "${private}" >/dev/null || exit 1
    node_out() { echo "${GAN_SIM_CLUSTER_DIR}/private/node$1/run"; }
    newest_complete() {  # newest_complete NODE: the newest complete checkpoint's step on NODE, or 0
      local dir step=0
      for dir in "$(node_out "$1")"/checkpoints/step_*; do
        [[ -f ${dir}/MANIFEST ]] && step=$((10#${dir##*step_}))
      done
      echo "${step}"
    }
    # mpirun runs on the first node of each launch (node 1, then node 2), which holds rank 0.
    log=${work}/elastic_private.log
    bash "${source_dir}/launch/elastic.sh" --hostfile "${GAN_SIM_CLUSTER_DIR}/hostfile" --probe-every 2 --probe-timeout 8 \
      --mpirun "bash ${source_dir}/launch/cluster/sim_cluster.sh mpirun" -- "${gan_dist}" \
      "${base[@]}" --output.dir="${private}/run" --train.max_steps=1000 --output.log_every=10 \
      --output.checkpoint_every=50 --comm.timeout_s=10 >"${log}" 2>&1 &
    launcher=$!
    for node in 1 2 3; do
      check "node ${node} keeps its own copy of the step-100 checkpoint" \
        wait_for_file "$(node_out "${node}")/checkpoints/step_00000100/MANIFEST" 120
    done
    durable=$(( $(newest_complete 2) > $(newest_complete 3) ? $(newest_complete 2) : $(newest_complete 3) ))
    check "rank 0 runs on node 1, the node that fails" contains "${log}" "placement: 3 node(s): node1 rank 0, node2 rank 1, node3 rank 2"
    cluster fail 1
    check "the job found three storages" contains "${log}" "checkpoints: 3 copies, one per storage of the output directory"
    check "nothing of the output directory reached the host's own ${private}" test ! -e "${private}/run"
    for _ in $(seq 300); do grep -q "^resumed from" "${log}" && break; sleep 0.2; done
    check "the launcher relaunched on nodes 2-3" contains "${log}" "elastic: launching on node2,node3 (2 ranks)"
    check "... with rank 0 on node 2" contains "${log}" "placement: 2 node(s): node2 rank 0, node3 rank 1"
    # The last step node 1's rank 0 logged (a line torn by the kill does not count).
    lost_at=$(python3 -c 'import json, sys
steps = []
for line in open(sys.argv[1]):
    try: steps.append(json.loads(line)["step"])
    except (ValueError, KeyError): pass
print(max(steps))' "$(node_out 1)/metrics.jsonl")
    resumed_at=$(sed -n 's/^resumed from .* at step \([0-9]*\)$/\1/p' "${log}" | head -n 1)
    echo "node 1 failed at step ${lost_at:-?} (checkpoint ${durable} durable on the survivors); resumed at ${resumed_at:-?}"
    check "resumed from the survivors' newest checkpoint, not from step 0 (${resumed_at:-none} >= ${durable})" \
      within "${durable}" "${resumed_at:-0}"
    check "steps redone ($((${lost_at:-0} - ${resumed_at:-0}))) <= one checkpoint interval (50)" \
      within $((${lost_at:-0} - ${resumed_at:-0})) 50
    cluster restore 1
    launcher_finishes 180
    check "the launcher finished the training (exit 0)" test $? -eq 0
    check "the job grew back to 3 nodes" test "$(grep -c "placement: 3 node(s)" "${log}")" -eq 2
    # Growing back, node 1 joins again with copies that stopped at the failure: the job continues
    # from the step it stopped at for the growth, which only nodes 2-3 hold.
    grew_at=$(sed -n 's/^stop requested (SIGUSR1 on some rank) at step \([0-9]*\).*/\1/p' "${log}" | tail -n 1)
    check "the grown job resumed at the growth checkpoint (step ${grew_at:-?}), not node 1's stale copy" \
      grep -qE "^resumed from .* at step ${grew_at:-none}$" "${log}"
    check "... read from node 2's copy: rank 0 is on node 1 again, which has none" \
      contains "${log}" "the checkpoint of step ${grew_at:-none} came from rank 1's copy"
    check "node 1 caught up: it holds the growth checkpoint's successors" \
      test "$(newest_complete 1)" -gt "${grew_at:-0}"
    for node in 1 2 3; do
      check "node ${node} holds the final checkpoint" test -f "$(node_out "${node}")/checkpoints/step_00001000/MANIFEST"
    done
    ;;

  slurm_elastic)
    if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
      echo "SKIPPED: needs Debian's slurmctld slurmd slurm-client munge (launch/install_deps.sh)"
      exit 77
    fi
    cluster up 3 --slots 1 >/dev/null || exit 1
    source "${source_dir}/tests/slurm/local_slurm.sh"
    trap 'slurm_down; cluster down >/dev/null 2>&1' EXIT
    slurm_up "${work}/slurm" node1=198.18.0.11 node2=198.18.0.12 node3=198.18.0.13 || exit 1
    export GAN_DIST_HOME=${source_dir} GAN_DIST_BIN=${gan_dist} GAN_RUNS=${work}/runs
    export OMPI_MCA_btl_tcp_if_include=eth0
    export GAN_ELASTIC_OPTIONS="--probe-every 2 --probe-timeout 4"
    cd "${work}" || exit 1
    export GAN_CONFIG=${config}  # the job script passes --config itself
    job=$(slurm_client sbatch --parsable --nodes=3 "${source_dir}/launch/slurm/train_elastic.sbatch" \
          "${base[@]:2}" --train.max_steps=600 --output.log_every=10 --output.checkpoint_every=100 --comm.timeout_s=5)
    out=${GAN_RUNS}/slurm_${job}
    log=${work}/gan_dist_${job}.out
    check "the run wrote its step-100 checkpoint" wait_for_file "${out}/checkpoints/step_00000100/MANIFEST" 90 || exit 1
    fault=${SECONDS}
    cluster fail 3
    for _ in $(seq 300); do grep -q "^resumed from" "${log}" && break; sleep 0.2; done
    check "the launcher relaunched on nodes 1-2 inside the allocation and resumed" contains "${log}" "elastic: launching on node1,node2 (2 ranks)"
    echo "relaunched $((SECONDS - fault)) s after the fault"
    cluster restore 3
    on_node node3 env SLURM_CONF="${SLURM_CONF}" /usr/sbin/slurmd -f "${SLURM_CONF}" -N node3
    wait_for_state "${job}" COMPLETED 180
    check "the job completed" test "$(job_field "${job}" JobState)" = COMPLETED
    check "one line for the node that left" grep -qE "^elastic: node3 left at step [0-9]+ \(world 3 -> 2 nodes\)" "${log}"
    check "one line for the node that joined" grep -qE "^elastic: node3 joined at step [0-9]+ \(world 2 -> 3 nodes\)" "${log}"
    check "training reached max_steps" test -f "${out}/checkpoints/step_00000600/MANIFEST"
    check "metrics.jsonl has every logged step once, in order" python3 - "${out}/metrics.jsonl" <<'PY'
import json, sys
steps = [json.loads(line)["step"] for line in open(sys.argv[1]) if '"loss_d"' in line]
assert steps == list(range(10, 601, 10)), steps
PY
    ;;

  elastic)
    # A third node; the elastic launcher runs the job over all three.
    cluster up 3 --slots 1 >/dev/null || exit 1
    elastic=(bash "${source_dir}/launch/elastic.sh" --hostfile "${GAN_SIM_CLUSTER_DIR}/hostfile" --probe-every 2
             --probe-timeout 8 --mpirun "bash ${source_dir}/launch/cluster/sim_cluster.sh mpirun" --)
    out=${work}/run
    log=${work}/elastic.log
    # Three nodes on two cores share one (nodes 1 and 3): slow, so the run is short.
    "${elastic[@]}" "${gan_dist}" "${base[@]}" --output.dir="${out}" --train.max_steps=600 --output.log_every=10 \
      --output.checkpoint_every=100 --comm.timeout_s=10 >"${log}" 2>&1 &
    launcher=$!
    check "the run wrote its step-100 checkpoint" wait_for_file "${out}/checkpoints/step_00000100/MANIFEST" 90
    cluster fail 3
    for _ in $(seq 300); do grep -q "^resumed from" "${log}" && break; sleep 0.2; done
    check "the launcher relaunched on nodes 1-2 and resumed" contains "${log}" "elastic: launching on node1,node2 (2 ranks)"
    cluster restore 3
    launcher_finishes 120
    check "the launcher finished the training (exit 0)" test $? -eq 0
    check "one line for the node that left" grep -qE "^elastic: node3 left at step [0-9]+ \(world 3 -> 2 nodes\)" "${log}"
    check "one line for the node that joined" grep -qE "^elastic: node3 joined at step [0-9]+ \(world 2 -> 3 nodes\)" "${log}"
    check "the job grew back to 3 nodes" test "$(grep -c "placement: 3 node(s)" "${log}")" -eq 2
    check "training reached max_steps" test -f "${out}/checkpoints/step_00000600/MANIFEST"
    check "metrics.jsonl has every logged step once, in order" python3 - "${out}/metrics.jsonl" <<'PY'
import json, sys
steps = [json.loads(line)["step"] for line in open(sys.argv[1]) if '"loss_d"' in line]
assert steps == list(range(10, 601, 10)), steps
PY
    # The steps after the relaunch continue the checkpoint's trajectory: a straight 2-node run
    # from the same checkpoint to the step where the job grew back logs the same values and
    # writes the same model and optimizer bytes.
    resumed=$(sed -n 's/^resumed from \(.*\) at step \([0-9]*\)$/\1 \2/p' "${log}" | head -n 1)
    read -r resumed_dir resumed_step <<<"${resumed:-none 0}"
    joined_step=$(sed -n 's/^elastic: node3 joined at step \([0-9]*\) .*/\1/p' "${log}")
    joined_dir=${out}/checkpoints/$(printf 'step_%08d' "${joined_step:-0}")
    cluster mpirun -np 2 --host node1,node2 "${gan_dist}" "${base[@]}" --output.dir="${work}/straight" \
      --output.resume="${resumed_dir}" --train.max_steps="${joined_step:-0}" --output.log_every=10 \
      --output.checkpoint_every=100000 >"${work}/straight.log" 2>&1
    check "a straight 2-node run from step ${resumed_step} to ${joined_step:-?} succeeded" test $? -eq 0
    check "... logs the same values as the relaunched job" python3 - "${out}/metrics.jsonl" "${work}/straight/metrics.jsonl" <<'PY'
import json, sys
keys = ("loss_d", "loss_g", "d_real", "d_fake")
elastic = {r["step"]: r for r in map(json.loads, open(sys.argv[1])) if "loss_d" in r}
straight = [r for r in map(json.loads, open(sys.argv[2])) if "loss_d" in r and r["step"] % 10 == 0]
assert len(straight) >= 2, straight
for row in straight:
    assert all(row[k] == elastic[row["step"]][k] for k in keys), (row, elastic[row["step"]])
PY
    for file in model_G.pt model_D.pt optim_G.pt optim_D.pt; do
      check "... and the same ${file} at step ${joined_step:-?}" \
        cmp "${joined_dir}/${file}" "${work}/straight/checkpoints/$(basename "${joined_dir}")/${file}"
    done
    # A failure that is not a lost node must not loop.
    "${elastic[@]}" "${gan_dist}" "${base[@]}" --output.dir="${work}/bad" --train.batch_size=0 >"${work}/bad.log" 2>&1
    check "a configuration error ends the launcher non-zero" test $? -ne 0
    check "... with the program's message" contains "${work}/bad.log" "train.batch_size"
    check "... and without a relaunch" contains "${work}/bad.log" "every node answers: not a lost node, not relaunching"
    # Nor must a NaN abort (rank 0's batch poisoned at step 5, abort at the first bad step).
    GAN_DIST_FAULT_NAN_AT=0:5 bash "${source_dir}/launch/elastic.sh" --hostfile "${GAN_SIM_CLUSTER_DIR}/hostfile" \
      --mpirun "bash ${source_dir}/launch/cluster/sim_cluster.sh mpirun -x GAN_DIST_FAULT_NAN_AT" -- "${gan_dist}" \
      "${base[@]}" --output.dir="${work}/nan" --train.max_steps=50 --train.max_bad_steps=1 >"${work}/nan.log" 2>&1
    check "a NaN abort ends the launcher non-zero" test $? -ne 0
    check "... with the program's message" contains "${work}/nan.log" "training diverged"
    check "... and without a relaunch" test "$(grep -c "^elastic: launching" "${work}/nan.log")" -eq 1
    ;;

  elastic_straggler)
    # Three nodes; node2 is slowed for real by busy loops on its core (not by anything inside
    # gan_dist), the verdict names it, the launcher leaves it out, and takes it back once well.
    cluster up 3 --slots 1 >/dev/null || exit 1
    core2=$(cat "${GAN_SIM_CLUSTER_DIR}/cores.node2")
    busy=()
    # Six busy loops: node2's rank gets about a seventh of its core (with three, its compute was
    # only 1.3-1.9x the others' and the rule's margin thin; its slow communication progress, which
    # every rank sees as a slower collective, is not in the compute figures).
    for _ in 1 2 3 4 5 6; do
      taskset -c "${core2}" sh -c 'while :; do :; done' &
      busy+=($!)
    done
    trap 'kill "${busy[@]}" 2>/dev/null; cluster down >/dev/null 2>&1' EXIT
    out=${work}/run
    log=${work}/elastic.log
    bash "${source_dir}/launch/elastic.sh" --hostfile "${GAN_SIM_CLUSTER_DIR}/hostfile" --probe-every 2 \
      --probe-timeout 8 --mpirun "bash ${source_dir}/launch/cluster/sim_cluster.sh mpirun" \
      --leave-out-stragglers 2 --straggler-rejoin-after 4 -- "${gan_dist}" "${base[@]}" --output.dir="${out}" \
      --train.max_steps=1000 --output.log_every=10 --output.checkpoint_every=200 --monitor.straggler_every=20 \
      --comm.timeout_s=20 >"${log}" 2>&1 &
    launcher=$!
    for _ in $(seq 600); do grep -q "left out at step" "${log}" && break; sleep 0.2; done
    check "the verdict named node2 (the busy core's node)" grep -qE "^straggler: rank 1 \(node2\) computes" "${log}"
    check "the launcher gave its reason from the figures" \
      grep -qE "^elastic: node2 was the straggler in 2 consecutive windows at 0\.[0-9]+ of the median rank's speed: 3 nodes at its pace make [0-9.]+ node-equivalents, 2 without it" "${log}"
    check "... and left node2 out" grep -qE "^elastic: node2 left out at step [0-9]+ as a straggler \(world 3 -> 2 nodes\); tried again in 4 s" "${log}"
    left_step=$(sed -n 's/^elastic: node2 left out at step \([0-9]*\) .*/\1/p' "${log}" | head -n 1)
    kill "${busy[@]}" 2>/dev/null
    wait "${busy[@]}" 2>/dev/null
    launcher_finishes 200
    check "the launcher finished the training (exit 0)" test $? -eq 0
    check "node2 was tried again and joined" grep -qE "^elastic: node2 joined at step [0-9]+ \(world 2 -> 3 nodes\)" "${log}"
    joined_step=$(sed -n 's/^elastic: node2 joined at step \([0-9]*\) .*/\1/p' "${log}" | head -n 1)
    check "left out once: well again, it was not named again" test "$(grep -c "left out at step" "${log}")" -eq 1
    check "training reached max_steps" test -f "${out}/checkpoints/step_00001000/MANIFEST"
    check "samples/s rose when node2 was left out" \
      python3 - "${out}/metrics.jsonl" "${left_step:-0}" "${joined_step:-0}" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
left, joined = int(sys.argv[2]), int(sys.argv[3])
rate = lambda lo, hi: [r["samples_per_s"] for r in rows if "samples_per_s" in r and lo < r["step"] <= hi]
# Skip each launch's first two logged windows (start-up and the resume fall in them).
slowed, without, back = rate(20, left), rate(left + 20, joined), rate(joined + 20, 10**9)
median = lambda xs: sorted(xs)[len(xs) // 2]
print(f"samples/s: 3 nodes with node2 slowed {median(slowed):.0f}, 2 nodes without it {median(without):.0f}, "
      f"3 nodes with node2 well {median(back):.0f}")
assert slowed and without and back, (left, joined)
assert median(without) > median(slowed)
PY
    ;;

  *) echo "unknown case '${case_name}'"; exit 2 ;;
esac

if ((failed > 0)); then
  echo "--- logs"
  tail -n 40 "${work}"/*.log
fi
finish_checks
