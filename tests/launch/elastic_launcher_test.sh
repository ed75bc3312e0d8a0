#!/usr/bin/env bash
# launch/elastic.sh without a cluster: a stand-in mpirun records what the launcher asks of it.
#   elastic_launcher_test.sh SOURCE_DIR
# Checks: --min-nodes 0 is refused; a hostfile's slots=K is read, not max_slots=K; a preemption
# signal that arrives between launches stops the launcher instead of reaching a reaped PID while
# the job is relaunched without it.
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
finish_checks
