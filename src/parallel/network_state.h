// NetworkState: the replicated state of one network, listed once. Its parameters (in flat
// buffers), the gradient buckets that average their gradients, Adam's moments and step count,
// and the exponential moving average of the weights where the network keeps one.
//
// replicatedTensors() is the one list of what must be bitwise equal on every rank: the start-up
// and resume broadcasts, the replica check and checkpoints all iterate it, so none of them can
// forget a tensor the others know about.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "comm/communicator.h"
#include "parallel/flat_adam.h"
#include "parallel/flat_parameters.h"
#include "parallel/gradient_buckets.h"

namespace gan::parallel {

// Which part of a network's state a tensor belongs to (each part is one checkpoint file).
// Reduction: the gradient reduction strategy's own state (PowerSGD's Q).
enum class StatePart { Parameters, Optimizer, Ema, Reduction };

struct StateTensor {
  StatePart part;
  std::string name;      // within its part: "fc1.weight", "exp_avg", "step"
  std::string qualified;  // across networks: "G.fc1.weight", "G.adam.exp_avg", "G.ema.fc1.weight"
  torch::Tensor tensor;   // a view of the live state: writing into it changes the network
};

class NetworkState {
 public:
  // `name` is "G" or "D". `ema_module`, when given, is a second network of the same architecture
  // that keeps the moving average of `module`'s weights; it starts equal to them.
  NetworkState(std::string name, std::shared_ptr<torch::nn::Module> module, comm::Communicator& communicator,
               AdamSettings adam, int64_t bucket_bytes, std::shared_ptr<torch::nn::Module> ema_module = nullptr,
               CompressionSettings compression = {});
  NetworkState(const NetworkState&) = delete;
  NetworkState& operator=(const NetworkState&) = delete;

  const std::string& name() const { return name_; }
  torch::nn::Module& module() { return *module_; }
  FlatParameters& parameters() { return parameters_; }
  GradientBuckets& buckets() { return buckets_; }
  FlatAdam& optimizer() { return optimizer_; }
  // The strategy that averages this network's gradients: it names its own state and says whether
  // a checkpoint's may be continued.
  GradientReduction& reduction() { return buckets_.reduction(); }
  const GradientReduction& reduction() const { return buckets_.reduction(); }

  bool hasEma() const { return ema_module_ != nullptr; }
  torch::nn::Module& emaModule();
  FlatParameters& emaParameters();
  // The average restarts at the current weights (start of training; resume without a stored EMA).
  void resetEma();
  // average <- keep * average + (1 - keep) * weights.
  void updateEma(double keep);

  // Buffers: tensors the module keeps that are not trained (batch norm's running statistics, in
  // networks written in PyTorch). Each rank's forward updates them from its own rows, so they
  // follow rank 0's after every step, as DDP's broadcast_buffers does (a collective).
  bool hasBuffers() const;
  void broadcastBuffersFrom(comm::Communicator& communicator, int root = 0);

  // Every tensor that must be equal on all ranks, in a fixed order: parameters and buffers,
  // optimizer, EMA (its parameters and buffers), the gradient reduction's replicated state
  // (PowerSGD's warm start).
  std::vector<StateTensor> replicatedTensors();

  // Per-rank state: the gradient reduction's (PowerSGD's error feedback; none in other modes). A
  // checkpoint holds every rank's, as rows of a (world size, n) tensor.
  bool hasPerRankState() { return buckets_.reduction().perRankState().defined(); }
  // Collective: every rank's error feedback to rank 0, kept for the next checkpoint write; with
  // `to_every_rank`, rank 0 passes the rows on to all ranks (each node's writer needs them). A
  // rank with `keep_here` false (not a writer) drops them at once: world x state is not held on
  // every rank between checkpoints.
  void gatherPerRankState(comm::Communicator& communicator, bool to_every_rank = false, bool keep_here = true);
  // The rows gathered last, handed over once (the checkpoint writer takes them).
  torch::Tensor takeGatheredPerRankState();
  // The rows a checkpoint held; checked against this network's sizes and the world size of the
  // run that wrote them (one row per rank), before any scatter relies on them.
  void setLoadedPerRankState(torch::Tensor rows, int world_size, const std::string& what);
  // Collective: `root`'s loaded rows to their ranks when the checkpoint's world size is this
  // job's; otherwise (or with nothing loaded) every rank's error feedback restarts at zero.
  void scatterPerRankState(comm::Communicator& communicator, int checkpoint_world_size, int root = 0);
  // `root`'s replicated state to every rank (a collective).
  void broadcastFrom(comm::Communicator& communicator, int root = 0);

 private:
  void copyBuffersToEma();

  std::string name_;
  std::shared_ptr<torch::nn::Module> module_;
  FlatParameters parameters_;
  GradientBuckets buckets_;
  FlatAdam optimizer_;
  std::shared_ptr<torch::nn::Module> ema_module_;
  std::unique_ptr<FlatParameters> ema_parameters_;
  torch::Tensor per_rank_rows_;  // gathered for a checkpoint, or loaded from one
};

}  // namespace gan::parallel
