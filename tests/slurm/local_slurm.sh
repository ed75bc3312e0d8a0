# A throw-away single-node Slurm on this machine, for the slurm-labelled tests. Sourced.
#   slurm_up WORKDIR      start munged, slurmctld and slurmd; exports SLURM_CONF
#   slurm_down            stop every daemon slurm_up started (by pid file), whatever happened
# Facts it relies on (checked on our Debian 12 machines): munged must run as the munge user;
# there are no cgroups, so proctrack/linuxproc and task/none; no accounting daemon, so
# jobcomp/filetxt stands in for sacct; config_overrides lets CPUs=8 give 8 slots on 2 cores;
# cred_expire=10 lets a requeued job start again in ~30 s instead of ~2 min. munged's own
# directory lives under /tmp, not in WORKDIR: the munge user must traverse every parent of its
# files, and a build tree may sit below a directory only root can enter (mktemp -d, /root).

slurm_work=""
munge_dir=""

slurm_down() {
  [[ -n ${slurm_work} ]] || return 0
  local pidfile pid
  for pidfile in "${slurm_work}/slurmd.pid" "${slurm_work}/slurmctld.pid" "${slurm_work}/munged.pid"; do
    [[ -f ${pidfile} ]] || continue
    pid=$(cat "${pidfile}" 2>/dev/null || true)
    [[ -n ${pid} ]] || continue
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${pid}" 2>/dev/null || true
  done
  [[ -z ${munge_dir} ]] || rm -rf "${munge_dir}"
}

slurm_up() {
  slurm_work=$1
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

  local host port
  host=$(hostname -s)
  port=$((20000 + RANDOM % 20000))
  cat > "${slurm_work}/slurm.conf" <<CONF
ClusterName=gantest
SlurmctldHost=${host}
SlurmUser=root
SlurmctldPort=${port}
SlurmdPort=$((port + 1))
AuthType=auth/munge
AuthInfo=socket=${munge_dir}/munge.socket,cred_expire=10
CredType=cred/munge
StateSaveLocation=${slurm_work}/state
SlurmdSpoolDir=${slurm_work}/spool
SlurmctldPidFile=${slurm_work}/slurmctld.pid
SlurmdPidFile=${slurm_work}/slurmd.pid
SlurmctldLogFile=${slurm_work}/slurmctld.log
SlurmdLogFile=${slurm_work}/slurmd.log
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
ReturnToService=2
SlurmdParameters=config_overrides
MinJobAge=600
NodeName=${host} CPUs=8 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF=${slurm_work}/slurm.conf
  /usr/sbin/slurmctld -f "${SLURM_CONF}"
  /usr/sbin/slurmd -f "${SLURM_CONF}"
  for _ in $(seq 100); do
    [[ $(sinfo -h -o %t 2>/dev/null) == idle ]] && return 0
    sleep 0.2
  done
  echo "local Slurm did not come up; logs:" >&2
  tail -n 20 "${slurm_work}"/*.log "${munge_dir}/munged.log" >&2 || true
  return 1
}
