// Adam over a flat parameter buffer: the same update as torch::optim::Adam (no weight decay,
// no amsgrad), as one fused pass on the CPU and a few whole-buffer kernels on a GPU, instead
// of a loop of kernels per parameter.
#pragma once

#include <torch/torch.h>

namespace gan::parallel {

struct AdamSettings {
  double lr = 2e-4;
  double beta1 = 0.5;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class FlatAdam {
 public:
  FlatAdam(torch::Tensor values, torch::Tensor grads, AdamSettings settings);

  void step();

  int64_t stepCount() const { return step_count_.item<int64_t>(); }
  void setStepCount(int64_t count) { step_count_.fill_(count); }
  torch::Tensor& expAvg() { return exp_avg_; }
  torch::Tensor& expAvgSq() { return exp_avg_sq_; }
  // The number of updates taken, as a 0-dim int64 host tensor: replicated state like the moments.
  torch::Tensor& stepCountTensor() { return step_count_; }
  const AdamSettings& settings() const { return settings_; }

 private:
  torch::Tensor values_;
  torch::Tensor grads_;
  AdamSettings settings_;
  torch::Tensor exp_avg_;
  torch::Tensor exp_avg_sq_;
  torch::Tensor denom_;  // scratch, reused every step
  torch::Tensor step_count_ = torch::zeros({}, torch::kInt64);
};

}  // namespace gan::parallel
