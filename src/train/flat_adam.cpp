#include "train/flat_adam.h"

#include <cmath>

namespace gan::train {

FlatAdam::FlatAdam(torch::Tensor values, torch::Tensor grads, AdamSettings settings)
    : values_(std::move(values)), grads_(std::move(grads)), settings_(settings) {
  exp_avg_ = torch::zeros_like(values_);
  exp_avg_sq_ = torch::zeros_like(values_);
  denom_ = torch::empty_like(values_);
}

void FlatAdam::step() {
  torch::NoGradGuard no_grad;
  ++step_count_;
  const double bias_correction1 = 1.0 - std::pow(settings_.beta1, double(step_count_));
  const double bias_correction2 = 1.0 - std::pow(settings_.beta2, double(step_count_));
  // Same operations, in the same order, as torch::optim::Adam::step in LibTorch.
  exp_avg_.mul_(settings_.beta1).add_(grads_, 1.0 - settings_.beta1);
  exp_avg_sq_.mul_(settings_.beta2).addcmul_(grads_, grads_, 1.0 - settings_.beta2);
  torch::sqrt_out(denom_, exp_avg_sq_);
  denom_.div_(std::sqrt(bias_correction2)).add_(settings_.eps);
  values_.addcdiv_(exp_avg_, denom_, -settings_.lr / bias_correction1);
}

}  // namespace gan::train
