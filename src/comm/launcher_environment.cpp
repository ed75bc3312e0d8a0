#include "comm/launcher_environment.h"

#include <cstdlib>
#include <initializer_list>

#include "common/environment.h"

namespace gan::comm {
namespace {
// The first of `variables` that is set, as an integer, or `fallback`.
int firstSet(std::initializer_list<const char*> variables, int fallback) {
  for (const char* variable : variables) {
    if (const auto value = environmentValue(variable)) return std::atoi(value->c_str());
  }
  return fallback;
}
}  // namespace

bool startedByLauncher() {
  // Open MPI's mpirun, PMIx (srun --mpi=pmix, prterun) and PMI-1/2 process managers.
  for (const char* variable : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    if (environmentValue(variable)) return true;
  }
  return false;
}

int launcherRank() { return firstSet({"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", "SLURM_PROCID"}, 0); }

int launcherWorldSize() { return firstSet({"OMPI_COMM_WORLD_SIZE", "PMI_SIZE"}, 1); }

int slurmStepTasks() { return firstSet({"SLURM_STEP_NUM_TASKS"}, 0); }

}  // namespace gan::comm
