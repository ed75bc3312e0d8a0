// Generator and discriminator interfaces, and the factory that builds them from the config.
// Samples travel as flat rows (n, features) everywhere; convolutional models reshape inside.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

#include "comm/communicator.h"
#include "common/config.h"
#include "models/layer_precision.h"

namespace gan::models {

// What an exported TorchScript module needs beyond the network's own tensors.
struct TorchScriptShape {
  int64_t latent_dim = 0;             // G's z width (the module's `latent_dim` attribute)
  std::vector<int64_t> sample_shape;  // {C, H, W} or {features}
};

// What G and D share: the arithmetic each of their layers runs in, the classes they are
// conditioned on (class_conditioning.h), and their export for PyTorch.
class Network : public torch::nn::Module {
 public:
  // One entry per layer with weights, in forward order.
  const std::vector<LayerPrecision>& layerPrecisions() const { return layer_precisions_; }
  // Classes of a conditional network (--model.conditional), 0 for an unconditional one.
  virtual int64_t classes() const { return 0; }
  bool conditional() const { return classes() > 0; }
  // This network as a TorchScript module that Python runs with no gan_dist code (gan_export):
  // copies of its tensors under the same names, its forward in TorchScript (each architecture
  // writes its own beside its C++ forward), an int attribute `classes` (and G's `latent_dim`).
  //   G: z [N, latent_dim] (, labels) -> samples [N, C, H, W];  D: samples (, labels) -> logits [N, 1]
  virtual torch::jit::Module toTorchScript(const TorchScriptShape& shape);

 protected:
  std::vector<LayerPrecision> layer_precisions_;
};

// Maps noise z (n, latent_dim), with each row's class label (n) int64 when conditional, to
// samples (n, features).
class Generator : public Network {
 public:
  virtual torch::Tensor forward(const torch::Tensor& z, const torch::Tensor& labels) = 0;
  torch::Tensor forward(const torch::Tensor& z) { return forward(z, torch::Tensor()); }
};

// Maps samples (n, features), with their class labels when conditional, to one logit each
// (n, 1); the sigmoid lives in the loss.
class Discriminator : public Network {
 public:
  virtual torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& labels) = 0;
  torch::Tensor forward(const torch::Tensor& x) { return forward(x, torch::Tensor()); }
  // True when one row's output depends on the other rows of its batch (batch norm): then real
  // and generated rows must pass in separate batches, as the G step sees generated rows alone.
  virtual bool usesBatchStatistics() const { return false; }
};

// Generates samples outside training: no autograd, and batch norm uses this batch's own
// statistics (no communication), so any one rank can sample alone.
torch::Tensor generateSamples(Generator& generator, const torch::Tensor& z, const torch::Tensor& labels = {});

struct GanNetworks {
  std::shared_ptr<Generator> generator;
  std::shared_ptr<Discriminator> discriminator;
};

// What the builders need beyond the model config.
struct NetworkInputs {
  std::vector<int64_t> sample_shape;           // {channels, height, width} or {features}
  comm::Communicator* communicator = nullptr;  // needed by --model.batchnorm=sync; must outlive the networks
  // A gradient penalty (WGAN-GP, R1) is a per-sample gradient, which batch norm couples across
  // the batch, so with one D is built without batch norm (as the WGAN-GP paper prescribes).
  bool gradient_penalty = false;
  PrecisionRequest precision;  // --train.precision and the device the networks will run on
  // --model.conditional: the data's number of classes (the largest label + 1); 0 builds
  // unconditional networks. Refused when the option asks for classes the data does not have.
  int64_t classes = 0;
};

// What each architecture's builders share.
enum class NetworkRole { Generator, Discriminator };
// The classes the networks are conditioned on: the data's, when --model.conditional asks (0 otherwise).
int64_t networkClasses(const ModelConfig& config, const NetworkInputs& inputs);
// --model.batchnorm for this network (none for D with a gradient penalty).
BatchNormPolicy batchNormPolicy(const ModelConfig& config, const NetworkInputs& inputs, NetworkRole role);

// The networks --model.arch names (one row of builders per architecture, gan_networks.cpp).
// Initial weights come from torch's global generator, so seed it first for reproducible weights.
std::shared_ptr<Generator> buildGenerator(const ModelConfig& config, const NetworkInputs& inputs);
std::shared_ptr<Discriminator> buildDiscriminator(const ModelConfig& config, const NetworkInputs& inputs);
GanNetworks buildGanNetworks(const ModelConfig& config, const NetworkInputs& inputs);
// For flat samples of `sample_dim` features, no batch norm communication.
GanNetworks buildGanNetworks(const ModelConfig& config, int64_t sample_dim);

// Features of one sample of `shape` ({C, H, W} -> C*H*W): the width of the flat rows.
int64_t featureCount(const std::vector<int64_t>& shape);

// A short text that changes whenever the architecture (layer names and shapes) changes.
std::string architectureSignature(torch::nn::Module& module);

}  // namespace gan::models
