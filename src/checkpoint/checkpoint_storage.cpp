#include "checkpoint/checkpoint_storage.h"

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <system_error>

#include "checkpoint/format/durable_file.h"
#include "common/error.h"

namespace gan::checkpoint {
namespace fs = std::filesystem;
namespace {

const char* const kProbePrefix = kStorageProbePrefix;

// ".storage_probe.<job>.<rank>": the job number keeps a probe an earlier job left behind (killed
// between creating and removing it) from counting.
std::string probeName(uint64_t job, int rank) {
  return kProbePrefix + std::to_string(job) + "." + std::to_string(rank);
}

// A number no other job shares: rank 0 draws it, every rank receives it.
uint64_t agreeOnJobNumber(comm::Communicator& communicator) {
  int64_t job = 0;
  if (communicator.rank() == 0) {
    std::random_device entropy;
    const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
    job = static_cast<int64_t>(((uint64_t{entropy()} << 32) ^ entropy() ^ static_cast<uint64_t>(now)) >> 1);
  }
  return static_cast<uint64_t>(comm::broadcastInt64(job, 0, communicator));
}

}  // namespace

std::string CheckpointStorage::describe() const {
  if (copies == 1) return "checkpoints: one copy, written by rank 0 (the output directory is shared, or one node runs)";
  return "checkpoints: " + std::to_string(copies) +
         " copies, one per storage of the output directory (node-local: the lowest rank of each node writes one)";
}

CheckpointStorage probeCheckpointStorage(const RunDirectory& run, comm::Communicator& communicator) {
  CheckpointStorage storage;
  if (communicator.worldSize() == 1) {
    storage.writes_here = true;
    return storage;
  }
  const uint64_t job = agreeOnJobNumber(communicator);
  // Probed where the checkpoints go: OUT/checkpoints may be a link or a mount onto other storage
  // than OUT itself (shared checkpoints under node-local outputs, or the reverse).
  const fs::path where = run.checkpoints();
  const fs::path mine = where / probeName(job, communicator.rank());
  std::error_code error;
  fs::create_directories(where, error);
  GAN_CHECK(!error, "--output.dir: cannot create ", where.string(), " on rank ", communicator.rank(), " (",
            error.message(), ")");
  writeFileChecked(mine, "checkpoint storage probe of rank " + std::to_string(communicator.rank()) + "\n");
  communicator.barrier();  // every probe exists before any rank looks
  storage.writes_here = true;
  for (int lower = 0; lower < communicator.rank(); ++lower) {
    if (fs::exists(where / probeName(job, lower), error)) {
      storage.writes_here = false;
      break;
    }
  }
  communicator.barrier();  // every rank has looked before any probe goes
  fs::remove(mine, error);
  int64_t copies = storage.writes_here ? 1 : 0;
  communicator.allreduce({&copies, 1, comm::ScalarType::Int64, comm::MemorySpace::Host}, {comm::ReduceOp::Sum});
  storage.copies = static_cast<int>(copies);
  return storage;
}

}  // namespace gan::checkpoint
