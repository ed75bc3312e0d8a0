// The reference model of the seed design: G latent->h->h->out (ReLU, tanh), D in->h->h->1 (ReLU).
#pragma once

#include "models/gan_networks.h"

namespace gan::models {

class MlpGenerator final : public Generator {
 public:
  MlpGenerator(int64_t latent_dim, int64_t hidden_dim, int64_t sample_dim);
  torch::Tensor forward(const torch::Tensor& z) override;

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};

class MlpDiscriminator final : public Discriminator {
 public:
  MlpDiscriminator(int64_t sample_dim, int64_t hidden_dim);
  torch::Tensor forward(const torch::Tensor& x) override;

 private:
  torch::nn::Linear fc1_{nullptr}, fc2_{nullptr}, fc3_{nullptr};
};

}  // namespace gan::models
