#!/usr/bin/env bash
# launch/elastic.sh without a cluster: a stand-in mpirun records what the launcher asks of it.
#   elastic_launcher_test.sh SOURCE_DIR
# Checks: --min-nodes 0 and a fraction for a whole number are refused naming the option; a hostfile's slots=K is read, not max_slots=K; a preemption
# signal that arrives between launches stops the launcher instead of reaching a reaped PID while
# the job is relaunched without it; --leave-out-stragglers leaves out the node the windows name
# when the rule predicts a gain, and not when it does not.
set -uo pipefail
source_dir=${1:?usage: elastic_launcher_test.sh SOURCE_DIR}
elastic=${source_dir}/launch/elastic.sh
# shellcheck source=tests/support/shell_checks.sh
source "${source_dir}/tests/support/shell_checks.sh"
work=$(mktemp -d /tmp/elastic_launcher_test.XXXXXX)
trap 'rm -rf "${work}"' EXIT

# --- bad options
printf 'node01 slots=2\n' >"${work}/one_node"
"${elastic}" --hostfile "${work}/one_node" --min-nodes 0 -- true 2>"${work}/min_nodes.err"
check "--min-nodes 0 exits 2" test $? -eq 2
check "--min-nodes 0 is named" contains "${work}/min_nodes.err" "--min-nodes must be at least 1"
"${elastic}" --hostfile "${work}/one_node" --probe-timeout 1.5 -- true 2>"${work}/not_whole.err"
check "a fraction where a whole number goes exits 2" test $? -eq 2
check "... naming the option" contains "${work}/not_whole.err" "--probe-timeout expects a whole number, got '1.5'"

# --- slots=K, not the max_slots=K after it
printf 'node01 slots=8 max_slots=16\nnode02 max_slots=4 slots=2\n' >"${work}/slots"
"${elastic}" --hostfile "${work}/slots" --mpirun true -- gan_dist 2>"${work}/slots.err"
check "a job that succeeds ends the launcher with 0" test $? -eq 0
check "slots=8 and slots=2 make 10 ranks" contains "${work}/slots.err" "(10 ranks)"

# --- USR1 between launches: the stand-in job fails and asks for the signal to come a little
# later, while the launcher probes the nodes (node02's probe takes 2 s and fails: a lost node).
cat >"${work}/mpirun" <<STANDIN
#!/usr/bin/env bash
if [[ " \$* " == *" --host node02 "* ]]; then sleep 2; exit 1; fi
if [[ " \$* " == *" --host "* ]]; then exit 0; fi
echo launch >>"${work}/launches"
launcher=\${PPID}  # elastic.sh starts the job as its own background child
(sleep 1; kill -USR1 "\${launcher}") &
exit 1
STANDIN
chmod +x "${work}/mpirun"
printf 'node01 slots=1\nnode02 slots=1\n' >"${work}/two_nodes"
"${elastic}" --hostfile "${work}/two_nodes" --mpirun "${work}/mpirun" -- gan_dist 2>"${work}/preempt.err" &
launcher=$!
wait "${launcher}"
status=$?
check "preempted between launches: exit 0" test "${status}" -eq 0
check "the job was not relaunched" test "$(wc -l <"${work}/launches")" -eq 1
check "the launcher says why" contains "${work}/preempt.err" "preemption signal between launches"
# --- --leave-out-stragglers: the stand-in job writes straggler windows (as gan_dist's
# stragglers.jsonl) naming node02 and waits up to 4 s for the agreed stop (USR1); a launch
# without node02 finishes at once.
"${elastic}" --hostfile "${work}/slots" --leave-out-stragglers 2 -- gan_dist 2>"${work}/no_dir.err"
check "--leave-out-stragglers without --output.dir exits 2" test $? -eq 2
check "... and says what it needs" contains "${work}/no_dir.err" "pass --output.dir to gan_dist"
printf 'node01 slots=1\nnode02 slots=1\nnode03 slots=1\n' >"${work}/three_nodes"
straggler_run() {  # straggler_run NAME NODE02_COMPUTE_MS [LAUNCH_ID]: runs the launcher over the stand-in
  # (its windows carry LAUNCH_ID, by default the id the launcher gave this launch)
  local name=$1
  mkdir -p "${work}/${name}"
  cat >"${work}/${name}/mpirun" <<STANDIN
#!/usr/bin/env bash
if [[ " \$* " == *" --host "* ]]; then exit 0; fi  # probes: every node answers
previous="" hostfile=""
for arg in "\$@"; do [[ \${previous} == --hostfile ]] && hostfile=\${arg}; previous=\${arg}; done
cat "\${hostfile}" >>"${work}/${name}/launches"; echo -- >>"${work}/${name}/launches"
out=${work}/${name}/out
mkdir -p "\${out}/checkpoints/step_00000080"
ln -sfn step_00000080 "\${out}/checkpoints/latest"
grep -q node02 "\${hostfile}" || exit 0
stopped=0
trap 'stopped=1' USR1
for window in 1 41; do
  printf '{"first_step": %d, "step": %d, "compute_ms": [5.0, $2, 5.0], "median_compute_ms": 5.0, "nodes": ["node01", "node02", "node03"], "slow_nodes": ["node02"], "stragglers": [1], "launch": "%s"}\n' \
    "\${window}" \$((window + 39)) "${3:-\${GAN_DIST_LAUNCH_ID}}" >>"\${out}/stragglers.jsonl"
done
for _ in \$(seq 40); do ((stopped)) && exit 0; sleep 0.1; done
exit 0
STANDIN
  chmod +x "${work}/${name}/mpirun"
  "${elastic}" --hostfile "${work}/three_nodes" --mpirun "${work}/${name}/mpirun" --leave-out-stragglers 2 -- \
    gan_dist --output.dir="${work}/${name}/out" 2>"${work}/${name}/err"
}
straggler_run pays 12.5  # speed 0.4: 3 nodes make 1.2 node-equivalents, 2 without it
check "a straggler that costs more than a node: the launcher succeeds" test $? -eq 0
check "... gives its reason" contains "${work}/pays/err" \
  "node02 was the straggler in 2 consecutive windows at 0.40 of the median rank's speed: 3 nodes at its pace make 1.20 node-equivalents, 2 without it"
check "... leaves node02 out" contains "${work}/pays/err" "node02 left out at step 80 as a straggler (world 3 -> 2 nodes); tried again in 600 s"
check "... and relaunches on node01 and node03" test "$(tr '\n' ' ' <"${work}/pays/launches")" = \
  "node01 slots=1 node02 slots=1 node03 slots=1 -- node01 slots=1 node03 slots=1 -- "
straggler_run stays 6.5  # speed 0.77: 3 nodes make 2.31 node-equivalents, more than 2
check "a straggler that costs less than a node: the launcher succeeds" test $? -eq 0
check "... and keeps every node" test "$(grep -c -- -- "${work}/stays/launches")" -eq 1
check "... without leaving any out" bash -c "! grep -q 'left out' '${work}/stays/err'"
# Windows an earlier launch left (another launch id, as after a relaunch before gan_dist rewrites
# the file) are not this launch's verdicts, however slow they say node02 was.
straggler_run stale 12.5 earlier-launch
check "stale windows of an earlier launch: the launcher succeeds" test $? -eq 0
check "... and leaves no node out on them" bash -c "! grep -q 'left out' '${work}/stale/err'"
finish_checks
