#include "comm/intranode_path.h"

#include <sched.h>

#include <algorithm>
#include <string>
#include <vector>

#include "comm/mpi_check.h"
#include "common/environment.h"

namespace gan::comm {
namespace {

// The escape hatch for the shared-memory path, read once per process.
bool intranodeAllreduceIsMpi() {
  const std::string choice = environmentValue("GAN_DIST_INTRANODE_ALLREDUCE").value_or("");
  if (choice.empty() || choice == "shared_memory") return false;
  GAN_CHECK(choice == "mpi", "GAN_DIST_INTRANODE_ALLREDUCE must be shared_memory or mpi, got '", choice, "'");
  return true;
}

// The one CPU this process is bound to, or -1 when it may run on several.
int onlyBoundCpu() {
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) != 1) return -1;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &cpus)) return cpu;
  }
  return -1;
}

// Whether every rank of this node is bound to a CPU of its own: a collective over the node. One
// rank's one-CPU mask alone does not say it: two ranks bound to the same CPU (a rankfile, a
// hand-made taskset) would both spin while the other needs that CPU.
bool nodeRanksHaveOwnCpus(MPI_Comm node_comm, int local_size) {
  const int mine = onlyBoundCpu();
  std::vector<int> all(static_cast<size_t>(local_size), -1);
  MPI_CHECK(MPI_Allgather(&mine, 1, MPI_INT, all.data(), 1, MPI_INT, node_comm));
  std::sort(all.begin(), all.end());
  return all.front() >= 0 && std::adjacent_find(all.begin(), all.end()) == all.end();
}

}  // namespace

IntranodePath chooseIntranodePath(MPI_Comm node_comm, int local_size, int world_size) {
  IntranodePath path;
  const bool own_cpus = nodeRanksHaveOwnCpus(node_comm, local_size);
  if (world_size > 1 && local_size == world_size && !intranodeAllreduceIsMpi()) {
    path.shared_memory = true;
    path.runs_on_caller = own_cpus;
  }
  return path;
}

}  // namespace gan::comm
