#include "train/replica_check.h"

#include "common/error.h"

namespace gan::train {

uint64_t tensorFingerprint(const torch::Tensor& tensor) {
  auto host = tensor.detach().to(torch::kCPU).contiguous();
  const auto* bytes = static_cast<const uint8_t*>(host.data_ptr());
  const size_t count = static_cast<size_t>(host.numel()) * host.element_size();
  uint64_t hash = 1469598103934665603ULL;
  for (size_t i = 0; i < count; ++i) {
    hash ^= bytes[i];
    hash *= 1099511628211ULL;
  }
  return hash;
}

void verifyReplicasAgree(GanTrainer& trainer, comm::Communicator& communicator, int64_t step) {
  std::vector<parallel::StateTensor> state;
  for (parallel::NetworkState* network : trainer.networkStates()) {
    for (auto& entry : network->replicatedTensors()) state.push_back(std::move(entry));
  }
  std::vector<int64_t> low(state.size()), high(state.size());
  for (size_t i = 0; i < state.size(); ++i) {
    low[i] = high[i] = static_cast<int64_t>(tensorFingerprint(state[i].tensor));
  }
  communicator.allreduce({low.data(), low.size(), comm::ScalarType::Int64, comm::MemorySpace::Host},
                         {comm::ReduceOp::Min});
  communicator.allreduce({high.data(), high.size(), comm::ScalarType::Int64, comm::MemorySpace::Host},
                         {comm::ReduceOp::Max});
  for (size_t i = 0; i < state.size(); ++i) {
    GAN_CHECK(low[i] == high[i], "replica consistency check at step ", step, ": tensor '", state[i].qualified,
              "' differs between ranks (replicas drifted; check that every rank runs the same build and config)");
  }
}

}  // namespace gan::train
