#include "models/class_conditioning.h"

#include <cmath>

#include "common/error.h"

namespace gan::models {

void checkClassLabels(const torch::Tensor& labels, int64_t classes, int64_t rows, const char* network) {
  if (classes == 0) {
    GAN_CHECK(!labels.defined(), network, " is unconditional but was given class labels");
    return;
  }
  GAN_CHECK(labels.defined(), network, " is conditional (", classes, " classes) but was given no class labels");
  GAN_CHECK(labels.dim() == 1 && labels.size(0) == rows && labels.scalar_type() == torch::kInt64, network,
            " needs one int64 class label per row (", rows, "), got shape ", labels.sizes(), " of ",
            labels.scalar_type());
  // The range on the CPU only: reading it from a GPU would stall the stream every forward, and
  // there the embedding's own index check stops a bad label.
  if (rows > 0 && labels.is_cpu()) {
    const auto range = torch::stack({labels.min(), labels.max()}).cpu();
    GAN_CHECK(range[0].item<int64_t>() >= 0 && range[1].item<int64_t>() < classes, network, ": class labels must be in [0, ",
              classes, "), got ", range[0].item<int64_t>(), " to ", range[1].item<int64_t>());
  }
}

ClassInput::ClassInput(torch::nn::Module& owner, int64_t classes, int64_t latent_dim) : classes_(classes) {
  if (classes_ > 0) embedding_ = owner.register_module("class_embedding", torch::nn::Embedding(classes, latent_dim));
}

torch::Tensor ClassInput::apply(const torch::Tensor& z, const torch::Tensor& labels) {
  checkClassLabels(labels, classes_, z.size(0), "the generator");
  if (!conditional()) return z;
  // Normalised to unit second moment (as StyleGAN2-ADA's mapping does): the class input keeps
  // z's scale however the embedding learns.
  const auto embedded = embedding_->forward(labels);
  return torch::cat({z, embedded * torch::rsqrt(embedded.square().mean(1, /*keepdim=*/true) + 1e-8)}, 1);
}

ClassProjection::ClassProjection(torch::nn::Module& owner, int64_t classes, int64_t feature_dim) : classes_(classes) {
  if (classes_ == 0) return;
  embedding_ = owner.register_module("class_projection", torch::nn::Embedding(classes, feature_dim));
  scale_ = 1.0 / std::sqrt(double(feature_dim));
}

torch::Tensor ClassProjection::apply(const torch::Tensor& head_logits, const torch::Tensor& features,
                                     const torch::Tensor& labels) {
  checkClassLabels(labels, classes_, features.size(0), "the discriminator");
  if (!conditional()) return head_logits;
  const auto projected = (embedding_->forward(labels) * features).sum(1, /*keepdim=*/true) * scale_;
  return head_logits + projected;
}

}  // namespace gan::models
