// The mode-seeking term (Mao et al. 2019, "Mode Seeking GANs"): a term of G's loss that keeps G
// from ignoring z. Measured here: a conditional DCGAN on Fashion-MNIST lets the class input take
// over and draws one image per class (docs/models-and-losses.md); with this term it does not.
//
// Rows (2i, 2i+1) of each rank's generated batch are a pair (the label draws give a pair one
// class); a pair's ratio is mean|G(z_a) - G(z_b)| / mean|z_a - z_b|, and the term is
// weight / (m + 1e-5), m the mean ratio over every pair of the global batch. Small when distinct
// z give distinct images, large when G collapses.
#pragma once

#include <torch/torch.h>

#include "comm/communicator.h"

namespace gan::train {

struct ModeSeekingTerm {
  torch::Tensor loss;        // 0-dim: the term's value, with the gradient of the global-batch term
  torch::Tensor mean_ratio;  // 0-dim, detached: m over the global batch (the same on every rank)
};

// fake: this rank's generated rows (b, features), b even; z: their noise (b, latent_dim).
// One allreduce of two numbers gives m. A rank's loss is linear in its own pairs with the global
// m's slope, so the buckets' average over equal shards is the one-process gradient at any world
// size.
ModeSeekingTerm modeSeekingTerm(const torch::Tensor& fake, const torch::Tensor& z, double weight,
                                comm::Communicator& communicator);

}  // namespace gan::train
