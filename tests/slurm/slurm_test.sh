#!/usr/bin/env bash
# The slurm-labelled test: the job scripts of launch/slurm/ against a real (local) Slurm.
#   tests/slurm/slurm_test.sh BUILD_DIR SOURCE_DIR
# 1. train_cpu.sbatch with 2 tasks through srun --mpi=pmix, then through mpirun in the allocation;
# 2. srun without PMIx is refused with a clear message instead of training N lonely copies;
# 3. preemption: USR1 to the batch shell -> agreed checkpoint -> requeue -> the rerun resumes and
#    finishes. Every daemon it starts is stopped on exit, pass or fail.
set -uo pipefail
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)

if [[ $(id -u) -ne 0 ]] || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  echo "SKIPPED: needs root and Debian's slurmctld slurmd slurm-client munge (launch/install_deps.sh)"
  exit 77
fi

work=${build}/slurm_test
rm -rf "${work}"
mkdir -p "${work}"
source "${source_dir}/tests/slurm/local_slurm.sh"
trap slurm_down EXIT
slurm_up "${work}/cluster" || exit 1

source "${source_dir}/tests/support/shell_checks.sh"

export GAN_DIST_HOME=${source_dir}
export GAN_DIST_BIN=${build}/gan_dist
export GAN_RUNS=${work}/runs
cd "${work}" || exit 1
short=(--train.max_steps=60 --output.log_every=20 --output.sample_every=0 --output.checkpoint_every=30)

# ---- 1. both launch styles
for launcher in srun mpirun; do
  job=$(GAN_LAUNCHER=${launcher} sbatch --parsable --ntasks=2 \
        "${source_dir}/launch/slurm/train_cpu.sbatch" "${short[@]}")
  wait_for_end "${job}" 120
  log=${work}/gan_dist_${job}.out
  check "${launcher}: job ${job} completed" test "$(job_field "${job}" JobState)" = COMPLETED
  check "${launcher}: 2 ranks on the MPI backend" contains "${log}" "2 rank(s), backend mpi"
  check "${launcher}: final checkpoint" test -f "${GAN_RUNS}/slurm_${job}/checkpoints/step_00000060/MANIFEST"
  check "${launcher}: 3 metric lines" test "$(wc -l < "${GAN_RUNS}/slurm_${job}/metrics.jsonl")" -eq 3
done

# ---- 2. srun without PMIx
srun --mpi=none --ntasks=2 "${GAN_DIST_BIN}" --train.max_steps=5 --output.dir="${work}/nopmix" \
  > "${work}/nopmix.log" 2>&1
check "srun without PMIx fails" test $? -ne 0
check "srun without PMIx says why" contains "${work}/nopmix.log" "srun started 2 tasks but MPI sees a world of 1"

# ---- 3. preemption and requeue
job=$(sbatch --parsable --ntasks=2 "${source_dir}/launch/slurm/train_cpu.sbatch" \
      --train.max_steps=1500 --output.log_every=100 --output.sample_every=0 --output.checkpoint_every=1500)
out=${GAN_RUNS}/slurm_${job}
log=${work}/gan_dist_${job}.out
for _ in $(seq 240); do [[ -s ${out}/metrics.jsonl ]] && break; sleep 0.5; done
check "preemption: the job is training" test -s "${out}/metrics.jsonl"
scancel --batch --signal=USR1 "${job}"
# The stop and checkpoint, the requeue (~6 s: cred_expire) and the rest of the 1500 steps.
wait_for_state "${job}" COMPLETED 240
check "preemption: job completed after its requeue" test "$(job_field "${job}" JobState)" = COMPLETED
check "preemption: it was restarted once" test "$(job_field "${job}" Restarts)" = 1
check "preemption: the signal reached the step" contains "${log}" "stop requested (SIGUSR1 on some rank)"
check "preemption: the job asked to be requeued" contains "${log}" "checkpoint written, requeueing"
check "preemption: the rerun resumed" contains "${log}" "resumed from ${out}/checkpoints/step_"
check "preemption: the rerun finished" test -f "${out}/checkpoints/step_00001500/MANIFEST"
stopped_at=$(sed -n 's/.*stop requested (SIGUSR1 on some rank) at step \([0-9]*\).*/\1/p' "${log}" | head -n 1)
check "preemption: the agreed checkpoint (step ${stopped_at:-?}) is there" \
  test -f "${out}/checkpoints/$(printf 'step_%08d' "${stopped_at:-0}")/MANIFEST"

if ((failed > 0)); then
  echo "--- logs"
  tail -n 30 "${work}"/gan_dist_*.out "${work}/cluster/slurmctld.log" 2>/dev/null
fi
finish_checks
