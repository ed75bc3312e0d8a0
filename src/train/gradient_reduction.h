// GradientReduction: how one network's gradients are averaged across ranks, chosen by
// --comm.compress. GradientBuckets owns the buckets and the autograd hooks and hands each ready
// bucket (or, for a strategy that needs it, the whole gradient after backward) to the strategy;
// the strategy owns its state and says which of it is replicated and which per rank. This is the
// shape of c10d's reducer handing buckets to a communication hook with its own state.
//
// Adding a scheme: one class here or in its own file, and one entry in makeGradientReduction.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "comm/communicator.h"
#include "common/option_values.h"
#include "train/flat_parameters.h"

namespace gan::train {

struct CompressionSettings {
  GradientCompression mode = GradientCompression::None;
  int64_t powersgd_rank = 4;
  uint64_t seed = 0;  // PowerSGD's first Q
  int64_t powersgd_warmup_steps = 0;  // PowerSGD: steps [0, N) reduce exactly
};

// Communication of the reductions since the last GradientBuckets::takeStats().
struct CommunicationStats {
  double collective_seconds = 0;  // the collectives' own durations, summed
  double exposed_seconds = 0;     // time the training thread waited for them after backward
  int64_t bytes = 0;
  int64_t collectives = 0;
};

class GradientReduction {
 public:
  virtual ~GradientReduction() = default;

  // The training step about to run (counted from 0). A strategy with phases (PowerSGD's exact
  // warm-up) chooses the step's phase here; every rank is told the same step.
  virtual void beginStep(int64_t step) { (void)step; }
  // Whether this step's gradient travels bucket by bucket, each bucket launched as soon as
  // backward completes it (reduceBucket); otherwise the whole gradient is reduced after backward
  // (reduceWhole).
  virtual bool reducesBuckets() const = 0;
  // Starts averaging one bucket (a slice of the flat gradient) across ranks; counts the bytes and
  // collectives it issues in `stats`.
  virtual std::shared_ptr<comm::Work> reduceBucket(const torch::Tensor& slice, CommunicationStats& stats);
  // Replaces the whole flat gradient by its average (or the strategy's estimate of it) across
  // ranks, blocking; counts bytes and collectives in `stats`. All ranks call it together.
  virtual void reduceWhole(const torch::Tensor& gradient, CommunicationStats& stats);

  // The strategy's own state, which NetworkState lists and checkpoints keep: tensors equal on
  // every rank, by name (checkpointed as "<network>.<stateName()>.<name>"), and this rank's own
  // state (undefined when there is none).
  virtual const char* stateName() const { return ""; }
  virtual std::vector<std::pair<std::string, torch::Tensor>> replicatedState() { return {}; }
  virtual torch::Tensor perRankState() { return {}; }

  // One line for the start-up log ("" for exact float32, which needs no comment).
  virtual std::string describe() const = 0;
};

// The strategy for `settings.mode`, for the network `network` whose gradients live in `parameters`.
std::unique_ptr<GradientReduction> makeGradientReduction(const CompressionSettings& settings, const std::string& network,
                                                         FlatParameters& parameters, comm::Communicator& communicator);

}  // namespace gan::train
