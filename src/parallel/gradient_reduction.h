// GradientReduction: how one network's gradients are averaged across ranks, chosen by
// --comm.compress. GradientBuckets owns the buckets and the autograd hooks and hands each ready
// bucket (or, for a strategy that needs it, the whole gradient after backward) to the strategy;
// the strategy owns its state and says which of it is replicated and which per rank. This is the
// shape of c10d's reducer handing buckets to a communication hook with its own state.
//
// Adding a scheme: a class in its own file, one entry in makeGradientReduction
// (reduction_factory.cpp), and its state and resume rule declared on the class itself.
#pragma once

#include <torch/torch.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "comm/communicator.h"
#include "common/option_values.h"

namespace gan::parallel {

// A checkpoint's options, name -> value as its state.json records them.
using RecordedOptions = std::map<std::string, std::string>;

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

  // The strategy's own state, which NetworkState lists and checkpoints keep in a file of the
  // strategy's own, "<stateName()>_<network>.pt" (no file when stateName() is ""): tensors equal
  // on every rank, by name (listed as "<network>.<stateName()>.<name>"), and this rank's own state
  // (undefined when there is none), which a checkpoint holds as one row per rank under
  // perRankStateName(). checkpoint/ names no strategy: a stateful scheme says all of it here.
  virtual const char* stateName() const { return ""; }
  virtual std::vector<std::pair<std::string, torch::Tensor>> replicatedState() { return {}; }
  virtual torch::Tensor perRankState() { return {}; }
  virtual const char* perRankStateName() const { return ""; }
  // Whether this strategy can go on from the state of a checkpoint written with the `recorded`
  // options (as the checkpoint lists them; an option it predates is absent): "" when it can, else
  // one line naming the option at fault and what to do. A refusal is not damage: the resume ends
  // with it rather than falling back to an older checkpoint.
  virtual std::string refusesToResume(const RecordedOptions& recorded, const std::string& checkpoint) const {
    (void)recorded;
    (void)checkpoint;
    return {};
  }

  // One line for the start-up log ("" for exact float32, which needs no comment).
  virtual std::string describe() const = 0;
};

}  // namespace gan::parallel
