// Generator and discriminator interfaces, and the factory that builds them from the config.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "common/config.h"

namespace gan::models {

// Maps noise z (n, latent_dim) to samples (n, sample_dim) in [-1, 1].
class Generator : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& z) = 0;
};

// Maps samples (n, sample_dim) to one logit each (n, 1); the sigmoid lives in the loss.
class Discriminator : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x) = 0;
};

struct GanNetworks {
  std::shared_ptr<Generator> generator;
  std::shared_ptr<Discriminator> discriminator;
};

// Builds both networks for samples of `sample_dim` features. Initial weights come from torch's
// global generator, so seed it first for reproducible weights.
GanNetworks buildGanNetworks(const ModelConfig& config, int64_t sample_dim);

// A short text that changes whenever the architecture (layer names and shapes) changes.
std::string architectureSignature(torch::nn::Module& module);

}  // namespace gan::models
