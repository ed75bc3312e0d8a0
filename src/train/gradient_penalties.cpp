#include "train/gradient_penalties.h"

#include "common/error.h"

namespace gan::train {
namespace {
// Squared L2 norm of each row of d(sum of logits)/d(inputs), differentiable in D's weights.
torch::Tensor inputGradientSquaredNorms(const torch::Tensor& logits, const torch::Tensor& inputs) {
  GAN_CHECK(inputs.requires_grad(), "a gradient penalty needs inputs that require grad");
  // Rows are independent (no batch norm in D), so the gradient of the sum holds each row's own.
  auto gradient = torch::autograd::grad({logits.sum()}, {inputs}, /*grad_outputs=*/{}, /*retain_graph=*/true,
                                        /*create_graph=*/true)[0];
  return gradient.flatten(1).pow(2).sum(1);
}
}  // namespace

torch::Tensor interpolateRealFake(const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& mixing) {
  auto weights = mixing.reshape({-1, 1}).to(real.dtype());
  GAN_CHECK(weights.size(0) == real.size(0), "one mixing weight per row expected");
  return (weights * real.detach() + (1 - weights) * fake.detach()).requires_grad_(true);
}

torch::Tensor wganGradientPenalty(const torch::Tensor& interpolated_logits, const torch::Tensor& interpolated,
                                  double weight) {
  // The norm's gradient is undefined at 0; the epsilon keeps a dead input from producing NaN.
  auto norms = (inputGradientSquaredNorms(interpolated_logits, interpolated) + 1e-12).sqrt();
  return weight * (norms - 1).pow(2).mean();
}

torch::Tensor r1Penalty(const torch::Tensor& real_logits, const torch::Tensor& real, double gamma) {
  return 0.5 * gamma * inputGradientSquaredNorms(real_logits, real).mean();
}

}  // namespace gan::train
