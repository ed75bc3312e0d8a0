#include "models/mlp_networks.h"

namespace gan::models {
namespace {

// fc1 .. fcN for in -> hidden x layers -> out, and the arithmetic of each; `output` is fcN's role.
std::vector<torch::nn::Linear> registerLayers(torch::nn::Module& module, int64_t in, int64_t out,
                                              const MlpShape& shape, LayerRole output,
                                              std::vector<LayerPrecision>& precisions) {
  std::vector<torch::nn::Linear> layers;
  int64_t width = in;
  for (int64_t i = 0; i <= shape.hidden_layers; ++i) {
    const bool last = i == shape.hidden_layers;
    const int64_t next = last ? out : shape.hidden_dim;
    const std::string name = "fc" + std::to_string(i + 1);
    layers.push_back(module.register_module(name, torch::nn::Linear(width, next)));
    precisions.push_back(planLayer(shape.precision, name, LayerKind::Linear, width, next, last ? output : LayerRole::Inner));
    width = next;
  }
  return layers;
}

// bn<first+1> .. bn<hidden_layers>, one per hidden layer from `first`, when batch norm is on.
std::vector<BatchNorm> registerNorms(torch::nn::Module& module, int64_t first, const MlpShape& shape) {
  std::vector<BatchNorm> norms;
  if (shape.batchnorm == BatchNormPolicy::None) return norms;
  for (int64_t i = first; i < shape.hidden_layers; ++i) {
    norms.push_back(module.register_module("bn" + std::to_string(i + 1),
                                           BatchNorm(shape.hidden_dim, shape.batchnorm, shape.communicator)));
  }
  return norms;
}

MlpShape mlpShape(const ModelConfig& config, const NetworkInputs& inputs, NetworkRole role) {
  MlpShape shape;
  shape.hidden_dim = config.hidden_dim;
  shape.hidden_layers = config.arch == ModelArch::Mlp2d ? 3 : 2;
  shape.tanh_output = traitsOf(config.arch).output == OutputRange::Tanh;
  shape.batchnorm = batchNormPolicy(config, inputs, role);
  shape.communicator = inputs.communicator;
  shape.precision = inputs.precision;
  shape.classes = networkClasses(config, inputs);
  return shape;
}

}  // namespace

std::shared_ptr<Generator> buildMlpGenerator(const ModelConfig& config, const NetworkInputs& inputs) {
  return std::make_shared<MlpGenerator>(config.latent_dim, featureCount(inputs.sample_shape),
                                        mlpShape(config, inputs, NetworkRole::Generator));
}

std::shared_ptr<Discriminator> buildMlpDiscriminator(const ModelConfig& config, const NetworkInputs& inputs) {
  return std::make_shared<MlpDiscriminator>(featureCount(inputs.sample_shape),
                                            mlpShape(config, inputs, NetworkRole::Discriminator));
}

MlpGenerator::MlpGenerator(int64_t latent_dim, int64_t sample_dim, const MlpShape& shape)
    : tanh_output_(shape.tanh_output) {
  layers_ = registerLayers(*this, conditionedInputWidth(latent_dim, shape.classes), sample_dim, shape,
                           tanh_output_ ? LayerRole::Inner : LayerRole::UnboundedSample, layer_precisions_);
  norms_ = registerNorms(*this, 0, shape);
  class_input_ = ClassInput(*this, shape.classes, latent_dim);  // last: unconditional weights draw as before
}

torch::Tensor MlpGenerator::forward(const torch::Tensor& z, const torch::Tensor& labels) {
  auto h = class_input_.apply(z, labels);
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    h = runLinear(layers_[i], h, layer_precisions_[i]);
    if (!norms_.empty()) h = norms_[i]->forward(h);
    h = torch::relu(h);
  }
  h = runLinear(layers_.back(), h, layer_precisions_.back());
  return tanh_output_ ? torch::tanh(h) : h;
}

MlpDiscriminator::MlpDiscriminator(int64_t sample_dim, const MlpShape& shape) {
  layers_ = registerLayers(*this, sample_dim, 1, shape, LayerRole::Logit, layer_precisions_);
  norms_ = registerNorms(*this, 1, shape);
  projection_ = ClassProjection(*this, shape.classes, shape.hidden_dim);
}

torch::Tensor MlpDiscriminator::forward(const torch::Tensor& x, const torch::Tensor& labels) {
  auto h = x;
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    h = runLinear(layers_[i], h, layer_precisions_[i]);
    if (i >= 1 && !norms_.empty()) h = norms_[i - 1]->forward(h);
    h = torch::relu(h);
  }
  return projection_.apply(runLinear(layers_.back(), h, layer_precisions_.back()), h, labels);
}

}  // namespace gan::models
