# shellcheck shell=bash
# Sourced by the gan_dist job scripts: runs the training step so that a preemption warning
# becomes a checkpoint and a requeue instead of lost work.
#
# Slurm delivers --signal=B:USR1@<seconds> to this batch shell. bash runs a trap only between
# commands, so the step runs in the background and the shell waits for it; the trap forwards
# USR1 to the step (srun and mpirun both pass USR1 on to every rank), gan_dist agrees on a stop
# at the next step boundary, rank 0 writes a checkpoint and every rank exits 0. Then the job
# asks to be requeued; the rerun keeps its job id, hence its output directory, and
# --output.resume=auto continues from that checkpoint. The trap is set in every run, because
# Slurm re-arms --signal after a requeue.

gan_preempted=0

gan_forward_preemption() {
  gan_preempted=1
  echo "gan_dist job ${SLURM_JOB_ID}: preemption signal received, forwarding to the training step"
  kill -USR1 "${gan_step_pid}" 2>/dev/null || true
}

# gan_run_step COMMAND...: runs the step, handles preemption, returns the step's exit code.
gan_run_step() {
  trap gan_forward_preemption USR1
  "$@" &
  gan_step_pid=$!
  local status=0
  # `wait` returns early when the trap fires; keep waiting until the step itself has ended.
  while :; do
    wait "${gan_step_pid}" && status=0 || status=$?
    kill -0 "${gan_step_pid}" 2>/dev/null || break
  done
  trap - USR1
  if [[ ${gan_preempted} -eq 1 && ${status} -eq 0 ]]; then
    echo "gan_dist job ${SLURM_JOB_ID}: checkpoint written, requeueing"
    scontrol requeue "${SLURM_JOB_ID}"
  fi
  return "${status}"
}
