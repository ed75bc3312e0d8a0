# shellcheck shell=bash
# A throw-away Slurm on this machine, for the slurm- and multinode-labelled tests. Sourced.
#   slurm_up WORKDIR                  one node (this machine): munged, slurmctld, slurmd; exports SLURM_CONF
#   slurm_up WORKDIR NAME=ADDR ...    the nodes of a simulated cluster (launch/cluster/sim_cluster.sh):
#                                     slurmctld on the first, one slurmd inside each node's namespace
#   slurm_client COMMAND...           runs a Slurm client where slurmctld can be reached (on the
#                                     first node of a simulated cluster)
#   slurm_down                        stop every daemon slurm_up started (by pid file), whatever happened
# Facts it relies on (checked on our Debian 12 machines): munged must run as the munge user;
# there are no cgroups, so proctrack/linuxproc and task/none; no accounting daemon, so
# jobcomp/filetxt stands in for sacct; config_overrides lets CPUs=8 give 8 slots on 2 cores;
# cred_expire=5 lets a requeued job start again after ~6 s instead of ~2 min (with the scheduler
# passes every second, not every 30 and 60 s); KillWait=2 (default
# 30) shortens how long srun waits for the tasks of a lost node before it ends the step. munged's own
# directory lives under /tmp, not in WORKDIR: the munge user must traverse every parent of its
# files, and a build tree may sit below a directory only root can enter (mktemp -d, /root).

slurm_work=""
munge_dir=""
slurm_nodes=()
sim_cluster_script=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../launch/cluster" && pwd)/sim_cluster.sh

# On a simulated cluster every daemon and client runs inside a node: node i is nodeI.
on_node() {  # on_node NAME COMMAND...
  local name=$1; shift
  bash "${sim_cluster_script}" exec "${name#node}" "$(printf '%q ' "$@")"
}
slurm_client() {
  if ((${#slurm_nodes[@]} == 0)); then "$@"; else on_node "${slurm_nodes[0]%%=*}" "$@"; fi
}
job_field() {  # job_field JOB FIELD: one field of scontrol show job
  slurm_client scontrol show job "$1" -o 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"
}
wait_for_state() {  # wait_for_state JOB STATE[|STATE...] SECONDS: until the job is in one of them
  for _ in $(seq $(($3 * 5))); do
    [[ "|$2|" == *"|$(job_field "$1" JobState)|"* ]] && return 0
    sleep 0.2
  done
  return 1
}
# Waits until the job has ended, however it ended (the caller checks how). sbatch --wait would
# do the same, but it polls at growing intervals: ~7 s after a job of 1.3 s.
wait_for_end() {  # wait_for_end JOB SECONDS
  wait_for_state "$1" "COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE" "$2"
}

slurm_down() {
  [[ -n ${slurm_work} ]] || return 0
  local pidfile pid pids=()
  for pidfile in "${slurm_work}"/slurmd*.pid "${slurm_work}/slurmctld.pid" "${slurm_work}/munged.pid"; do
    [[ -f ${pidfile} ]] || continue
    pid=$(cat "${pidfile}" 2>/dev/null || true)
    [[ -n ${pid} ]] && pids+=("${pid}")
  done
  # All asked at once, then up to 5 s for all of them together, then killed.
  if ((${#pids[@]} > 0)); then
    kill "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 "${pids[@]}" 2>/dev/null || break  # true while any of them lives
      sleep 0.1
    done
    kill -9 "${pids[@]}" 2>/dev/null || true
  fi
  [[ -z ${munge_dir} ]] || rm -rf "${munge_dir}"
}

slurm_up() {
  slurm_work=$1
  shift
  slurm_nodes=("$@")
  mkdir -p "${slurm_work}"/{state,spool}
  chmod 755 "${slurm_work}"
  munge_dir=$(mktemp -d /tmp/gan_dist_munge.XXXXXX)
  chown munge:munge "${munge_dir}"
  chmod 700 "${munge_dir}"
  cp /etc/munge/munge.key "${munge_dir}/munge.key"
  chown munge:munge "${munge_dir}/munge.key"
  chmod 400 "${munge_dir}/munge.key"

  runuser -u munge -- /usr/sbin/munged --force --key-file="${munge_dir}/munge.key" \
    --socket="${munge_dir}/munge.socket" --pid-file="${munge_dir}/munged.pid" \
    --log-file="${munge_dir}/munged.log" --seed-file="${munge_dir}/munged.seed"
  for _ in $(seq 50); do [[ -S ${munge_dir}/munge.socket ]] && break; sleep 0.1; done
  cp "${munge_dir}/munged.pid" "${slurm_work}/munged.pid"

  local ctld_host node_lines port entry
  if ((${#slurm_nodes[@]} == 0)); then
    ctld_host=$(hostname -s)
    node_lines="NodeName=${ctld_host} CPUs=8 State=UNKNOWN"
  else
    ctld_host="${slurm_nodes[0]%%=*}(${slurm_nodes[0]#*=})"
    node_lines=""
    for entry in "${slurm_nodes[@]}"; do
      node_lines+="NodeName=${entry%%=*} NodeAddr=${entry#*=} CPUs=4 State=UNKNOWN"$'\n'
    done
  fi
  if ((${#slurm_nodes[@]} == 0)); then
    mkdir -p "${slurm_work}/spool/${ctld_host}"
  else
    # Nodes share this machine's /tmp, where each slurmstepd's PMIx server makes a directory
    # named after the step: two nodes of one step collide unless each has a TmpFS of its own.
    for entry in "${slurm_nodes[@]}"; do mkdir -p "${slurm_work}/spool/${entry%%=*}" "${slurm_work}/tmp/${entry%%=*}"; done
    node_lines="TmpFS=${slurm_work}/tmp/%n"$'\n'"${node_lines}"

  fi
  port=$((20000 + RANDOM % 20000))
  cat > "${slurm_work}/slurm.conf" <<CONF
ClusterName=gantest
SlurmctldHost=${ctld_host}
SlurmUser=root
SlurmctldPort=${port}
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=${munge_dir}/munge.socket,cred_expire=5
CredType=cred/munge
StateSaveLocation=${slurm_work}/state
SlurmdSpoolDir=${slurm_work}/spool/%n
SlurmctldPidFile=${slurm_work}/slurmctld.pid
SlurmdPidFile=${slurm_work}/slurmd.%n.pid
SlurmctldLogFile=${slurm_work}/slurmctld.log
SlurmdLogFile=${slurm_work}/slurmd.%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=pmix
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=${slurm_work}/jobcomp.log
JobRequeue=1
# A test cluster schedules at once: by default a requeued job whose begin time has passed waits
# for the next backfill pass (30 s) or main pass (60 s).
SchedulerParameters=bf_interval=1,sched_interval=1
KillWait=2
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
${node_lines}
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=${slurm_work}/slurm.conf
  if ((${#slurm_nodes[@]} == 0)); then
    /usr/sbin/slurmctld -f "${SLURM_CONF}"
    /usr/sbin/slurmd -f "${SLURM_CONF}"
  else
    on_node "${slurm_nodes[0]%%=*}" env SLURM_CONF="${SLURM_CONF}" /usr/sbin/slurmctld -f "${SLURM_CONF}"
    for entry in "${slurm_nodes[@]}"; do
      on_node "${entry%%=*}" env SLURM_CONF="${SLURM_CONF}" /usr/sbin/slurmd -f "${SLURM_CONF}" -N "${entry%%=*}"
    done
  fi
  for _ in $(seq 150); do
    [[ $(slurm_client sinfo -h -o %t 2>/dev/null | sort -u) == idle ]] && return 0
    sleep 0.2
  done
  echo "local Slurm did not come up; logs:" >&2
  tail -n 20 "${slurm_work}"/*.log "${munge_dir}/munged.log" >&2 || true
  return 1
}
