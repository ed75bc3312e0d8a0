// Penalties on the discriminator's input gradient, computed by double backward: the input
// gradient is taken with create_graph, so the penalty is an ordinary differentiable term of D's
// loss. The one backward of that loss then delivers the penalty's weight gradients through the
// same accumulator hooks as the rest, so the gradient buckets average them like any gradient
// (each rank penalises its own rows; the average of per-rank means is the global-batch mean).
#pragma once

#include <torch/torch.h>

namespace gan::train {

// WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad_x D(x_hat)||_2 - 1)^2].
// interpolated_logits: D's logits for x_hat; interpolated: x_hat (b, features), requiring grad.
torch::Tensor wganGradientPenalty(const torch::Tensor& interpolated_logits, const torch::Tensor& interpolated,
                                  double weight);

// x_hat = mixing * real + (1 - mixing) * fake, per row (mixing: (b) or (b, 1) in [0, 1]); a
// leaf that requires grad, detached from G.
torch::Tensor interpolateRealFake(const torch::Tensor& real, const torch::Tensor& fake, const torch::Tensor& mixing);

// R1 (Mescheder et al. 2018): (gamma / 2) * E[||grad_x D(x)||^2] on real rows; real: requiring grad.
torch::Tensor r1Penalty(const torch::Tensor& real_logits, const torch::Tensor& real, double gamma);

}  // namespace gan::train
