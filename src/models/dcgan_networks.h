// DCGAN (Radford et al. 2015) sized for small square images: G projects z to a base x base map
// and doubles it with stride-2 transposed convolutions (ReLU, tanh out); D mirrors it with
// stride-2 convolutions (LeakyReLU 0.2) and one linear logit. 28x28 -> base 7, two stages;
// 32x32 -> base 4, three stages. Channel widths are `width`, 2x, 4x, ... from the image side.
#pragma once

#include "models/batch_norm.h"
#include "models/class_conditioning.h"
#include "models/gan_networks.h"

namespace gan::models {

struct DcganShape {
  int64_t channels = 1;
  int64_t side = 28;  // height = width
  int64_t width = 64;
  BatchNormPolicy batchnorm = BatchNormPolicy::None;
  comm::Communicator* communicator = nullptr;  // for BatchNormPolicy::Sync
  PrecisionRequest precision;
  int64_t classes = 0;  // conditional on this many classes (0: unconditional)

  // Number of stride-2 stages: halve the side while it stays even and at least 4.
  int64_t stages() const;
  int64_t baseSide() const { return side >> stages(); }
  int64_t channelsAtStage(int64_t i) const { return width << i; }  // i = 0 next to the image
};

class DcganGenerator final : public Generator {
 public:
  DcganGenerator(int64_t latent_dim, const DcganShape& shape);
  using Generator::forward;
  torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) override;  // (n, C*H*W)
  int64_t classes() const override { return class_input_.classes(); }
  torch::jit::Module toTorchScript(const TorchScriptShape& shape) override;

 private:
  DcganShape shape_;
  ClassInput class_input_;
  torch::nn::Linear project_{nullptr};
  std::vector<torch::nn::ConvTranspose2d> upsample_;
  std::vector<BatchNorm> norms_;  // after the projection and each upsampling but the last
};

class DcganDiscriminator final : public Discriminator {
 public:
  explicit DcganDiscriminator(const DcganShape& shape);
  using Discriminator::forward;
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) override;  // x: (n, C*H*W)
  bool usesBatchStatistics() const override { return !norms_.empty(); }
  int64_t classes() const override { return projection_.classes(); }
  torch::jit::Module toTorchScript(const TorchScriptShape& shape) override;

 private:
  DcganShape shape_;
  std::vector<torch::nn::Conv2d> downsample_;
  std::vector<BatchNorm> norms_;  // after each downsampling but the first
  torch::nn::Linear head_{nullptr};
  ClassProjection projection_;  // on the flattened features the head reads
};

// --model.arch=dcgan.
std::shared_ptr<Generator> buildDcganGenerator(const ModelConfig& config, const NetworkInputs& inputs);
std::shared_ptr<Discriminator> buildDcganDiscriminator(const ModelConfig& config, const NetworkInputs& inputs);

}  // namespace gan::models
