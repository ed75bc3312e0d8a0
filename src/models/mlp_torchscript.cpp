// The MLP's forward in TorchScript, for gan_export: the operations of mlp_networks.cpp's forward,
// in the same order, over copies of its layers.
#include "models/mlp_networks.h"
#include "models/torchscript_text.h"

namespace gan::models {
namespace {

// fc1 .. fc<layers - 1>, each followed by its batch norm, when present, and a ReLU: h becomes the
// input of the last layer fc<layers>.
void appendHiddenLayers(std::ostringstream& source, const TorchScriptCopy& copy, int64_t layers) {
  for (int64_t i = 1; i < layers; ++i) {
    const std::string fc = "fc" + std::to_string(i);
    source << "    h = torch.linear(h, self." << fc << ".weight, self." << fc << ".bias)\n";
    source << batchNormIfPresent(copy, i) << "    h = torch.relu(h)\n";
  }
}

std::string lastLayer(int64_t layers) {
  const std::string fc = "fc" + std::to_string(layers);
  return "torch.linear(h, self." + fc + ".weight, self." + fc + ".bias)";
}

}  // namespace

torch::jit::Module MlpGenerator::toTorchScript(const TorchScriptShape& shape) {
  TorchScriptCopy copy("Generator", *this);
  std::ostringstream source;
  beginGeneratorForward(copy, source, shape.latent_dim);
  const auto layers = static_cast<int64_t>(layers_.size());
  source << "    h = x\n";
  appendHiddenLayers(source, copy, layers);
  source << "    h = " << lastLayer(layers) << "\n";
  if (tanh_output_) source << "    h = torch.tanh(h)\n";  // mlp2d's points are unbounded
  source << "    return h.view(z.size(0)" << shapeList(shape.sample_shape) << ")\n";
  return copy.define(source.str());
}

torch::jit::Module MlpDiscriminator::toTorchScript(const TorchScriptShape&) {
  TorchScriptCopy copy("Discriminator", *this);
  std::ostringstream source;
  const bool conditional = beginDiscriminatorForward(copy, source);
  const auto layers = static_cast<int64_t>(layers_.size());
  source << "    h = x.reshape(x.size(0), -1)\n";
  appendHiddenLayers(source, copy, layers);
  source << "    f = h\n" << discriminatorOutput(copy, lastLayer(layers), conditional);
  return copy.define(source.str());
}

}  // namespace gan::models
