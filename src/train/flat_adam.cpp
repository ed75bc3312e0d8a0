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
  if (values_.is_cpu() && values_.scalar_type() == torch::kFloat32) {
    // One pass over memory instead of eight: the update is memory-bound, and on the CPU the
    // separate kernels cost more than the network's smaller matrix products.
    const float beta1 = float(settings_.beta1), beta2 = float(settings_.beta2);
    const float one_minus_beta1 = float(1.0 - settings_.beta1), one_minus_beta2 = float(1.0 - settings_.beta2);
    const float inv_sqrt_bc2 = float(1.0 / std::sqrt(bias_correction2));
    const float eps = float(settings_.eps), step_size = float(settings_.lr / bias_correction1);
    float* __restrict p = values_.data_ptr<float>();
    const float* __restrict g = grads_.data_ptr<float>();
    float* __restrict m = exp_avg_.data_ptr<float>();
    float* __restrict v = exp_avg_sq_.data_ptr<float>();
    const int64_t n = values_.numel();
    for (int64_t i = 0; i < n; ++i) {
      m[i] = m[i] * beta1 + g[i] * one_minus_beta1;
      v[i] = v[i] * beta2 + g[i] * g[i] * one_minus_beta2;
      p[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
    }
    return;
  }
  // Elsewhere (GPU): the same operations, in the same order, as torch::optim::Adam::step.
  exp_avg_.mul_(settings_.beta1).add_(grads_, 1.0 - settings_.beta1);
  exp_avg_sq_.mul_(settings_.beta2).addcmul_(grads_, grads_, 1.0 - settings_.beta2);
  torch::sqrt_out(denom_, exp_avg_sq_);
  denom_.div_(std::sqrt(bias_correction2)).add_(settings_.eps);
  values_.addcdiv_(exp_avg_, denom_, -settings_.lr / bias_correction1);
}

}  // namespace gan::train
