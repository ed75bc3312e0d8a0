#include "models/dcgan_networks.h"

#include "common/error.h"

namespace gan::models {

int64_t DcganShape::stages() const {
  int64_t n = 0;
  while (side % (int64_t(2) << n) == 0 && (side >> (n + 1)) >= 4) ++n;
  return n;
}

namespace {

std::string shapeText(const std::vector<int64_t>& s) {
  std::string text;
  for (int64_t d : s) text += (text.empty() ? "" : ",") + std::to_string(d);
  return text;
}

DcganShape dcganShape(const ModelConfig& config, const NetworkInputs& inputs, NetworkRole role) {
  const auto& s = inputs.sample_shape;
  GAN_CHECK(s.size() == 3 && s[1] == s[2], "--model.arch=dcgan needs square images; this data set's samples have shape [",
            shapeText(s), "] (use --model.arch=mlp2d for 2-D points)");
  DcganShape shape;
  shape.channels = s[0];
  shape.side = s[1];
  shape.width = config.width;
  shape.batchnorm = batchNormPolicy(config, inputs, role);
  shape.communicator = inputs.communicator;
  shape.precision = inputs.precision;
  shape.classes = networkClasses(config, inputs);
  return shape;
}

void checkShape(const DcganShape& shape) {
  GAN_CHECK(shape.stages() >= 1, "--model.arch=dcgan needs square images whose side halves at least once to >= 4 "
                                 "(28, 32, 64, ...), got side ", shape.side);
  GAN_CHECK(shape.width > 0, "--model.width must be positive");
}
}  // namespace

std::shared_ptr<Generator> buildDcganGenerator(const ModelConfig& config, const NetworkInputs& inputs) {
  return std::make_shared<DcganGenerator>(config.latent_dim, dcganShape(config, inputs, NetworkRole::Generator));
}

std::shared_ptr<Discriminator> buildDcganDiscriminator(const ModelConfig& config, const NetworkInputs& inputs) {
  return std::make_shared<DcganDiscriminator>(dcganShape(config, inputs, NetworkRole::Discriminator));
}

DcganGenerator::DcganGenerator(int64_t latent_dim, const DcganShape& shape) : shape_(shape) {
  checkShape(shape);
  const int64_t n = shape.stages();
  const int64_t base = shape.baseSide();
  const bool normalise = shape.batchnorm != BatchNormPolicy::None;
  const int64_t projected = shape.channelsAtStage(n - 1) * base * base;
  // The class embedding enters the first block, beside z (class_conditioning.h says why).
  const int64_t input_width = conditionedInputWidth(latent_dim, shape.classes);
  project_ = register_module("project", torch::nn::Linear(input_width, projected));
  layer_precisions_.push_back(planLayer(shape.precision, "project", LayerKind::Linear, input_width, projected));
  if (normalise) norms_.push_back(register_module("bn0", BatchNorm(shape.channelsAtStage(n - 1), shape.batchnorm, shape.communicator)));
  for (int64_t i = n - 1; i >= 0; --i) {
    const int64_t out = i == 0 ? shape.channels : shape.channelsAtStage(i - 1);
    const std::string suffix = std::to_string(n - i);
    upsample_.push_back(register_module(
        "up" + suffix,
        torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(shape.channelsAtStage(i), out, 4).stride(2).padding(1))));
    layer_precisions_.push_back(
        planLayer(shape.precision, "up" + suffix, LayerKind::ConvTranspose2d, shape.channelsAtStage(i), out));
    if (normalise && i > 0) norms_.push_back(register_module("bn" + suffix, BatchNorm(out, shape.batchnorm, shape.communicator)));
  }
  class_input_ = ClassInput(*this, shape.classes, latent_dim);  // last: unconditional weights draw as before
}

torch::Tensor DcganGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  const int64_t base = shape_.baseSide();
  auto h = runLinear(project_, class_input_.apply(z, labels), layer_precisions_[0]).view({z.size(0), shape_.channelsAtStage(shape_.stages() - 1), base, base});
  size_t norm = 0;
  if (!norms_.empty()) h = norms_[norm++]->forward(h);
  h = torch::relu(h);
  for (size_t i = 0; i < upsample_.size(); ++i) {
    h = runConvTranspose2d(upsample_[i], h, layer_precisions_[i + 1]);
    if (i + 1 == upsample_.size()) break;
    if (!norms_.empty()) h = norms_[norm++]->forward(h);
    h = torch::relu(h);
  }
  return torch::tanh(h).view({z.size(0), -1});
}

DcganDiscriminator::DcganDiscriminator(const DcganShape& shape) : shape_(shape) {
  checkShape(shape);
  const int64_t n = shape.stages();
  int64_t in = shape.channels;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t out = shape.channelsAtStage(i);
    const std::string suffix = std::to_string(i + 1);
    downsample_.push_back(register_module(
        "down" + suffix, torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 4).stride(2).padding(1))));
    layer_precisions_.push_back(planLayer(shape.precision, "down" + suffix, LayerKind::Conv2d, in, out));
    if (shape.batchnorm != BatchNormPolicy::None && i > 0) {
      norms_.push_back(register_module("bn" + suffix, BatchNorm(out, shape.batchnorm, shape.communicator)));
    }
    in = out;
  }
  const int64_t base = shape.baseSide();
  head_ = register_module("head", torch::nn::Linear(in * base * base, 1));
  layer_precisions_.push_back(planLayer(shape.precision, "head", LayerKind::Linear, in * base * base, 1, LayerRole::Logit));
  projection_ = ClassProjection(*this, shape.classes, in * base * base);
}

torch::Tensor DcganDiscriminator::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  auto h = x.view({x.size(0), shape_.channels, shape_.side, shape_.side});
  for (size_t i = 0; i < downsample_.size(); ++i) {
    h = runConv2d(downsample_[i], h, layer_precisions_[i]);
    if (i > 0 && !norms_.empty()) h = norms_[i - 1]->forward(h);
    h = torch::leaky_relu(h, 0.2);
  }
  const auto features = h.flatten(1);
  return projection_.apply(runLinear(head_, features, layer_precisions_.back()), features, labels);
}

}  // namespace gan::models
