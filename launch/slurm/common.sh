# shellcheck shell=bash
# Sourced by every gan_dist job script after it has set GAN_DIST_HOME: the settings all of them
# share, each overridable per submission, and the preemption handling (preemption.sh).

# The binary and config to run.
GAN_DIST_BIN=${GAN_DIST_BIN:-${GAN_DIST_HOME}/build/gan_dist}
GAN_CONFIG=${GAN_CONFIG:-${GAN_DIST_HOME}/configs/fashion_mnist_mlp.ini}
# Output keyed by job id under GAN_RUNS: a requeued job (same id) finds its own checkpoints.
GAN_RUNS=${GAN_RUNS:-${GAN_DIST_HOME}/runs}
GAN_OUTPUT=${GAN_OUTPUT:-${GAN_RUNS}/slurm_${SLURM_JOB_ID}}

# Open MPI refuses to run as root unless both of these are set (containers, test clusters).
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1
  export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi

source "${GAN_DIST_HOME}/launch/slurm/preemption.sh"
