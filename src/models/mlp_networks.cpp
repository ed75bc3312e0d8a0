#include "models/mlp_networks.h"

namespace gan::models {

MlpGenerator::MlpGenerator(int64_t latent_dim, int64_t hidden_dim, int64_t sample_dim) {
  fc1_ = register_module("fc1", torch::nn::Linear(latent_dim, hidden_dim));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden_dim, hidden_dim));
  fc3_ = register_module("fc3", torch::nn::Linear(hidden_dim, sample_dim));
}

torch::Tensor MlpGenerator::forward(const torch::Tensor& z) {
  auto h = torch::relu(fc1_->forward(z));
  h = torch::relu(fc2_->forward(h));
  return torch::tanh(fc3_->forward(h));
}

MlpDiscriminator::MlpDiscriminator(int64_t sample_dim, int64_t hidden_dim) {
  fc1_ = register_module("fc1", torch::nn::Linear(sample_dim, hidden_dim));
  fc2_ = register_module("fc2", torch::nn::Linear(hidden_dim, hidden_dim));
  fc3_ = register_module("fc3", torch::nn::Linear(hidden_dim, 1));
}

torch::Tensor MlpDiscriminator::forward(const torch::Tensor& x) {
  auto h = torch::relu(fc1_->forward(x));
  h = torch::relu(fc2_->forward(h));
  return fc3_->forward(h);
}

}  // namespace gan::models
