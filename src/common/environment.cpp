#include "common/environment.h"

#include <cstdlib>

#include "common/error.h"

namespace gan {

const std::vector<EnvironmentVariable>& environmentVariables() {
  static const std::vector<EnvironmentVariable> table = {
      // Switches of gan_dist's own.
      {"GAN_DIST_INTRANODE_ALLREDUCE",
       "shared_memory (default) or mpi: how float sums travel when every rank is on one node"},
      {"GAN_DIST_CPU", "native (default) or avx2: take the CPU as AVX2-only (tests, comparisons)"},
      {"GAN_DIST_EMULATE_BF16", "1: bf16 trains without AVX512-BF16, in LibTorch's slow portable kernels (tests)"},
      {"GAN_DIST_LAUNCH_ID", "the elastic launcher's id of this launch, recorded with each straggler window"},
      {"GAN_DIST_FAULT_NAN_AT", "R:S, tests: rank R's batch of step S becomes NaN"},
      {"GAN_DIST_FAULT_HANG_AT", "R:S, tests: rank R stops responding at step S"},
      {"GAN_DIST_FAULT_KILL_IN_CHECKPOINT", "S:K, tests: SIGKILL after the K-th file of step S's checkpoint"},
      {"GAN_DIST_FAULT_SLOW_DATA", "R:SECONDS, tests: rank R opens its data that much later"},
      {"GAN_DIST_FAULT_SLOW_STEP", "R:MS, tests: rank R burns MS milliseconds of CPU in every step"},
      // Where the packed-copy cache goes by default (--data.cache_dir).
      {"XDG_CACHE_HOME", "the packed-copy cache's default parent ($XDG_CACHE_HOME/gan_dist)"},
      {"HOME", "the packed-copy cache's default parent without XDG_CACHE_HOME ($HOME/.cache/gan_dist)"},
      // What the launcher says (read before MPI starts: whether one is there, this rank, the size).
      {"OMPI_COMM_WORLD_SIZE", "Open MPI's mpirun: the world size (a launcher is present)"},
      {"OMPI_COMM_WORLD_RANK", "Open MPI's mpirun: this process's rank"},
      {"PMIX_RANK", "PMIx (srun --mpi=pmix, prterun): this process's rank (a launcher is present)"},
      {"PMI_RANK", "PMI-1/2 process managers: this process's rank (a launcher is present)"},
      {"PMI_SIZE", "PMI-1/2 process managers: the world size"},
      {"SLURM_PROCID", "Slurm: this task's rank (srun without an MPI plugin is refused with it)"},
      {"SLURM_STEP_NUM_TASKS", "Slurm: the tasks of this step (srun without an MPI plugin is refused with it)"},
  };
  return table;
}

std::optional<std::string> environmentValue(std::string_view name) {
  bool known = false;
  for (const auto& variable : environmentVariables()) known = known || name == variable.name;
  GAN_CHECK(known, "environment variable ", std::string(name), " is read but not in common/environment.cpp's table");
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string describeEnvironmentVariables() {
  std::string text = "Environment variables read:\n";
  for (const auto& variable : environmentVariables()) {
    text += "  " + std::string(variable.name) + "\n      " + variable.purpose + "\n";
  }
  return text;
}

}  // namespace gan
