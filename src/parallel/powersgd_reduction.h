// PowerSgdReduction: the strategy of --comm.compress=powersgd (the algorithm is PowerSgdReducer).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "comm/communicator.h"
#include "parallel/exact_reduction.h"
#include "parallel/flat_parameters.h"
#include "parallel/gradient_reduction.h"
#include "parallel/powersgd_reducer.h"

namespace gan::parallel {

// The PowerSGD strategy of --comm.compress=powersgd: the whole gradient through a PowerSgdReducer
// after backward, except during the first `powersgd_warmup_steps` steps (PyTorch's
// start_powerSGD_iter), which travel exactly through the buckets and leave Q and the error
// feedback untouched. Q is replicated state, the error feedback per-rank state.
class PowerSgdReduction final : public GradientReduction {
 public:
  PowerSgdReduction(const CompressionSettings& settings, const std::string& network, FlatParameters& parameters,
                    comm::Communicator& communicator);

  void beginStep(int64_t step) override { warming_up_ = step < warmup_steps_; }
  bool reducesBuckets() const override { return warming_up_; }
  std::shared_ptr<comm::Work> reduceBucket(const torch::Tensor& slice, CommunicationStats& stats) override;
  void reduceWhole(const torch::Tensor& gradient, CommunicationStats& stats) override;

  const char* stateName() const override { return "powersgd"; }
  std::vector<std::pair<std::string, torch::Tensor>> replicatedState() override { return {{"q", reducer_.warmStart()}}; }
  torch::Tensor perRankState() override { return reducer_.error(); }
  const char* perRankStateName() const override { return "error_feedback"; }
  // Q and the error feedback have the shape of the factors' rank: a checkpoint of PowerSGD at
  // another --comm.powersgd_rank cannot be continued, allowed change or not.
  std::string refusesToResume(const RecordedOptions& recorded, const std::string& checkpoint) const override;
  std::string describe() const override;

 private:
  comm::Communicator& communicator_;
  PowerSgdReducer reducer_;
  ExactReduction warm_up_;
  int64_t factor_rank_;
  int64_t warmup_steps_;
  bool warming_up_ = false;
};

}  // namespace gan::parallel
