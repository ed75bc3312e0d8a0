#include "parallel/network_state.h"

#include <utility>

#include "comm/tensor_buffer.h"
#include "common/error.h"

namespace gan::parallel {

NetworkState::NetworkState(std::string name, std::shared_ptr<torch::nn::Module> module,
                           comm::Communicator& communicator, AdamSettings adam, int64_t bucket_bytes,
                           std::shared_ptr<torch::nn::Module> ema_module, CompressionSettings compression)
    : name_(std::move(name)),
      module_(std::move(module)),
      parameters_(*module_),
      buckets_(name_, parameters_, communicator, bucket_bytes, compression),
      optimizer_(parameters_.values(), parameters_.grads(), adam),
      ema_module_(std::move(ema_module)) {
  if (!ema_module_) return;
  ema_module_->eval();  // never trained: it normalises like a sampler
  ema_parameters_ = std::make_unique<FlatParameters>(*ema_module_);
  ema_parameters_->setRequiresGrad(false);
  GAN_CHECK(ema_parameters_->numel() == parameters_.numel(), "the EMA of ", name_, " differs from ", name_,
            " in size");
  resetEma();
}

torch::nn::Module& NetworkState::emaModule() {
  GAN_CHECK(ema_module_ != nullptr, name_, " keeps no EMA");
  return *ema_module_;
}

FlatParameters& NetworkState::emaParameters() {
  GAN_CHECK(ema_parameters_ != nullptr, name_, " keeps no EMA");
  return *ema_parameters_;
}

void NetworkState::resetEma() {
  if (!ema_parameters_) return;
  torch::NoGradGuard no_grad;
  ema_parameters_->values().copy_(parameters_.values());
  copyBuffersToEma();
}

void NetworkState::updateEma(double keep) {
  torch::NoGradGuard no_grad;
  emaParameters().values().lerp_(parameters_.values(), 1.0 - keep);
  copyBuffersToEma();
}

// The average's buffers (batch norm's running statistics) are the network's, as StyleGAN2-ADA's
// G_ema copies G's: statistics are not weights, and averaging them would describe no network.
void NetworkState::copyBuffersToEma() {
  if (!ema_module_ || !hasBuffers()) return;
  torch::NoGradGuard no_grad;
  auto mine = module_->named_buffers(/*recurse=*/true);
  auto average = ema_module_->named_buffers(/*recurse=*/true);
  for (const auto& buffer : mine) average[buffer.key()].copy_(buffer.value());
}

bool NetworkState::hasBuffers() const { return !module_->buffers(/*recurse=*/true).empty(); }

void NetworkState::broadcastBuffersFrom(comm::Communicator& communicator, int root) {
  if (communicator.worldSize() == 1) return;
  for (const auto& buffer : module_->named_buffers(/*recurse=*/true)) {
    const auto tensor = buffer.value().detach();
    communicator.broadcast(comm::bufferViewOf(tensor), root, {comm::workStreamOf(tensor)});
  }
  copyBuffersToEma();
}

std::vector<StateTensor> NetworkState::replicatedTensors() {
  std::vector<StateTensor> state;
  for (const auto& slot : parameters_.slots()) {
    state.push_back({StatePart::Parameters, slot.name, name_ + "." + slot.name, slot.parameter});
  }
  for (const auto& buffer : module_->named_buffers(/*recurse=*/true)) {
    state.push_back({StatePart::Parameters, buffer.key(), name_ + "." + buffer.key(), buffer.value()});
  }
  state.push_back({StatePart::Optimizer, "exp_avg", name_ + ".adam.exp_avg", optimizer_.expAvg()});
  state.push_back({StatePart::Optimizer, "exp_avg_sq", name_ + ".adam.exp_avg_sq", optimizer_.expAvgSq()});
  state.push_back({StatePart::Optimizer, "step", name_ + ".adam.step", optimizer_.stepCountTensor()});
  if (ema_parameters_) {
    for (const auto& slot : ema_parameters_->slots()) {
      state.push_back({StatePart::Ema, slot.name, name_ + ".ema." + slot.name, slot.parameter});
    }
    for (const auto& buffer : ema_module_->named_buffers(/*recurse=*/true)) {
      state.push_back({StatePart::Ema, buffer.key(), name_ + ".ema." + buffer.key(), buffer.value()});
    }
  }
  auto& reduction = buckets_.reduction();
  for (const auto& [name, tensor] : reduction.replicatedState()) {
    state.push_back({StatePart::Reduction, name, name_ + "." + reduction.stateName() + "." + name, tensor});
  }
  return state;
}

void NetworkState::gatherPerRankState(comm::Communicator& communicator, bool to_every_rank, bool keep_here) {
  const auto state = buckets_.reduction().perRankState();
  if (!state.defined()) return;
  const auto mine = state.detach().cpu().contiguous();
  torch::Tensor rows;
  if (communicator.rank() == 0 || to_every_rank) {
    rows = torch::empty({communicator.worldSize(), mine.numel()}, mine.options());
  }
  communicator.gather(comm::bufferViewOf(mine), communicator.rank() == 0 ? rows.data_ptr() : nullptr, 0);
  if (to_every_rank) communicator.broadcast(comm::bufferViewOf(rows), 0);
  per_rank_rows_ = keep_here ? rows : torch::Tensor();
}

torch::Tensor NetworkState::takeGatheredPerRankState() {
  GAN_CHECK(per_rank_rows_.defined(), name_, ": the per-rank state was not gathered before the checkpoint");
  return std::exchange(per_rank_rows_, torch::Tensor());
}

void NetworkState::setLoadedPerRankState(torch::Tensor rows, int world_size, const std::string& what) {
  const auto state = buckets_.reduction().perRankState();
  GAN_CHECK(state.defined(), name_, " keeps no per-rank state");
  GAN_CHECK(rows.dim() == 2 && rows.size(0) == world_size && rows.size(1) == state.numel() &&
                rows.scalar_type() == state.scalar_type(),
            what, " has shape ", rows.sizes(), " (", rows.scalar_type(), "), expected (", world_size,
            " ranks, ", state.numel(), ") of ", state.scalar_type());
  per_rank_rows_ = rows.contiguous();
}

void NetworkState::scatterPerRankState(comm::Communicator& communicator, int checkpoint_world_size, int root) {
  auto error = buckets_.reduction().perRankState();
  if (!error.defined()) return;
  torch::NoGradGuard no_grad;
  const bool rows_fit = checkpoint_world_size == communicator.worldSize();
  if (!rows_fit) {
    error.zero_();
    per_rank_rows_ = torch::Tensor();
    return;
  }
  if (communicator.rank() == root && !per_rank_rows_.defined()) {
    per_rank_rows_ = torch::zeros({communicator.worldSize(), error.numel()}, error.options().device(torch::kCPU));
  }
  auto mine = torch::empty({error.numel()}, error.options().device(torch::kCPU));
  communicator.scatter(communicator.rank() == root ? per_rank_rows_.data_ptr() : nullptr, comm::bufferViewOf(mine),
                       root);
  error.copy_(mine);
  per_rank_rows_ = torch::Tensor();
}

void NetworkState::broadcastFrom(comm::Communicator& communicator, int root) {
  if (communicator.worldSize() == 1) return;
  for (const auto& entry : replicatedTensors()) {
    const auto tensor = entry.tensor.detach();
    communicator.broadcast(comm::bufferViewOf(tensor), root, {comm::workStreamOf(tensor)});
  }
}

}  // namespace gan::parallel
