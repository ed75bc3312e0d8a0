// Fully connected G and D. `mlp` is the reference model of the seed design (G latent->h->h->out
// with ReLU and tanh, D in->h->h->1 with ReLU); `mlp2d` is the small MLP for 2-D point data
// (three hidden layers, unbounded output so it reaches every mode). With batch norm, it follows
// each hidden layer of G and each hidden layer of D but the first (as in DCGAN).
#pragma once

#include "models/batch_norm.h"
#include "models/class_conditioning.h"
#include "models/gan_networks.h"

namespace gan::models {

struct MlpShape {
  int64_t hidden_dim = 256;
  int64_t hidden_layers = 2;
  bool tanh_output = true;  // generator only
  BatchNormPolicy batchnorm = BatchNormPolicy::None;
  comm::Communicator* communicator = nullptr;  // for BatchNormPolicy::Sync
  PrecisionRequest precision;
  int64_t classes = 0;  // conditional on this many classes (0: unconditional)
};

class MlpGenerator final : public Generator {
 public:
  MlpGenerator(int64_t latent_dim, int64_t sample_dim, const MlpShape& shape);
  using Generator::forward;
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;
  int64_t classes() const override { return class_input_.classes(); }
  torch::jit::Module toTorchScript(const TorchScriptShape& shape) override;

 private:
  std::vector<torch::nn::Linear> layers_;  // fc1 .. fcN
  std::vector<BatchNorm> norms_;           // after each hidden layer, when enabled
  bool tanh_output_;
  ClassInput class_input_;
};

class MlpDiscriminator final : public Discriminator {
 public:
  MlpDiscriminator(int64_t sample_dim, const MlpShape& shape);
  using Discriminator::forward;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override;
  bool usesBatchStatistics() const override { return !norms_.empty(); }
  int64_t classes() const override { return projection_.classes(); }
  torch::jit::Module toTorchScript(const TorchScriptShape& shape) override;

 private:
  std::vector<torch::nn::Linear> layers_;
  std::vector<BatchNorm> norms_;  // after hidden layers 2.., when enabled
  ClassProjection projection_;    // on the last hidden layer's features
};

// --model.arch=mlp and mlp2d.
std::shared_ptr<Generator> buildMlpGenerator(const ModelConfig& config, const NetworkInputs& inputs);
std::shared_ptr<Discriminator> buildMlpDiscriminator(const ModelConfig& config, const NetworkInputs& inputs);

}  // namespace gan::models
