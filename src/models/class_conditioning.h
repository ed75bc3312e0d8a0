// Class-conditional G and D (--model.conditional), the same two pieces for every architecture:
//
//   G: a learned embedding of the class, as wide as z and normalised to z's scale (unit second
//      moment, as StyleGAN2-ADA's mapping input), concatenated to z. The first layer then adds a learned vector per class to its
//      pre-activation, which works with batch norm on or off and adds no per-layer state.
//      Conditional batch norm (a gain and bias per class in every norm) was the alternative;
//      it does nothing with --model.batchnorm=none, the setting the small-data runs use.
//   D: the projection term of Miyato & Koyama (2018): logit = head(phi(x)) + <e_y, phi(x)>,
//      phi(x) D's penultimate features and e_y a learned class embedding. D judges "is this a
//      real image of class y" with one inner product, not by re-reading the label at its input.
//
// Labels travel as int64 (n) tensors beside the rows; an unconditional network takes none.
#pragma once

#include <torch/torch.h>

#include <string>

namespace gan::models {

// How many features G's first layer reads: z and, when conditional (classes > 0), the embedding.
inline int64_t conditionedInputWidth(int64_t latent_dim, int64_t classes) {
  return classes > 0 ? 2 * latent_dim : latent_dim;
}

// The class embedding G concatenates to z.
class ClassInput {
 public:
  ClassInput() = default;
  // Registers "class_embedding" on `owner` when classes > 0; unconditional otherwise.
  ClassInput(torch::nn::Module& owner, int64_t classes, int64_t latent_dim);

  bool conditional() const { return classes_ > 0; }
  int64_t classes() const { return classes_; }
  // [z, e_y] when conditional (labels required), z otherwise (labels must be undefined).
  torch::Tensor apply(const torch::Tensor& z, const torch::Tensor& labels);

 private:
  int64_t classes_ = 0;
  torch::nn::Embedding embedding_{nullptr};
};

// D's projection term.
class ClassProjection {
 public:
  ClassProjection() = default;
  // Registers "class_projection" (classes x feature_dim) on `owner` when classes > 0. The
  // embedding starts N(0, 1) and the inner product is scaled by 1/sqrt(feature_dim) (an
  // equalised learning rate, as StyleGAN2-ADA's conditional D): the term starts at the size of
  // a linear layer's output, and Adam's steps of a fixed size move it slowly relative to its
  // weights. (Fashion-MNIST DCGAN, 3,000 steps, one seed each: samples in their class 0.998
  // with it, 0.86 with the embedding stored at the small scale, uniform +-1/sqrt(d).)
  ClassProjection(torch::nn::Module& owner, int64_t classes, int64_t feature_dim);

  bool conditional() const { return classes_ > 0; }
  int64_t classes() const { return classes_; }
  // head_logits + <e_y, features> / sqrt(feature_dim) per row when conditional, head_logits otherwise. In the
  // parameters' precision (fp32) whatever the layers ran in: it is part of the logit.
  torch::Tensor apply(const torch::Tensor& head_logits, const torch::Tensor& features, const torch::Tensor& labels);

 private:
  int64_t classes_ = 0;
  torch::nn::Embedding embedding_{nullptr};
  double scale_ = 1;  // 1/sqrt(feature_dim)
};

// Throws gan::Error unless `labels` suits a network of `classes` classes (0: unconditional, and
// then none may be given) for `rows` rows: int64, one per row, each in [0, classes).
void checkClassLabels(const torch::Tensor& labels, int64_t classes, int64_t rows, const char* network);

}  // namespace gan::models
