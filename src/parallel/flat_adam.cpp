#include "parallel/flat_adam.h"

#include <cmath>

#include "parallel/fused_adam_kernel.h"

namespace gan::parallel {

FlatAdam::FlatAdam(torch::Tensor values, torch::Tensor grads, AdamSettings settings)
    : values_(std::move(values)), grads_(std::move(grads)), settings_(settings) {
  exp_avg_ = torch::zeros_like(values_);
  exp_avg_sq_ = torch::zeros_like(values_);
  denom_ = torch::empty_like(values_);
}

void FlatAdam::step() {
  torch::NoGradGuard no_grad;
  const int64_t count = ++*step_count_.data_ptr<int64_t>();
  const double bias_correction1 = 1.0 - std::pow(settings_.beta1, double(count));
  const double bias_correction2 = 1.0 - std::pow(settings_.beta2, double(count));
  if (values_.is_cpu() && values_.scalar_type() == torch::kFloat32) {
    // One pass over memory instead of eight: the update is memory-bound, and on the CPU the
    // separate kernels cost more than the network's smaller matrix products.
    const FusedAdamConstants constants{float(settings_.beta1),
                                       float(settings_.beta2),
                                       float(1.0 - settings_.beta1),
                                       float(1.0 - settings_.beta2),
                                       float(1.0 / std::sqrt(bias_correction2)),
                                       float(settings_.eps),
                                       float(settings_.lr / bias_correction1)};
    fusedAdamUpdate(values_.data_ptr<float>(), grads_.data_ptr<float>(), exp_avg_.data_ptr<float>(),
                    exp_avg_sq_.data_ptr<float>(), values_.numel(), constants);
    return;
  }
  // Elsewhere (GPU): the same operations, in the same order, as torch::optim::Adam::step.
  exp_avg_.mul_(settings_.beta1).add_(grads_, 1.0 - settings_.beta1);
  exp_avg_sq_.mul_(settings_.beta2).addcmul_(grads_, grads_, 1.0 - settings_.beta2);
  torch::sqrt_out(denom_, exp_avg_sq_);
  denom_.div_(std::sqrt(bias_correction2)).add_(settings_.eps);
  values_.addcdiv_(exp_avg_, denom_, -settings_.lr / bias_correction1);
}

}  // namespace gan::parallel
