// The DCGAN's forward in TorchScript, for gan_export: the operations of dcgan_networks.cpp's
// forward, in the same order, over copies of its layers (transposed convolutions as such: the bf16
// workaround of layer_precision.cpp is the same operation and not needed in fp32).
#include "models/dcgan_networks.h"
#include "models/torchscript_text.h"

namespace gan::models {

torch::jit::Module DcganGenerator::toTorchScript(const TorchScriptShape& shape) {
  TorchScriptCopy copy("Generator", *this);
  std::ostringstream source;
  beginGeneratorForward(copy, source, shape.latent_dim);
  const int64_t stages = shape_.stages();
  const int64_t base = shape_.baseSide();
  const int64_t top_channels = shape_.channelsAtStage(stages - 1);
  source << "    h = torch.linear(x, self.project.weight, self.project.bias).view(z.size(0), " << top_channels << ", "
         << base << ", " << base << ")\n";
  source << batchNormIfPresent(copy, 0) << "    h = torch.relu(h)\n";
  for (int64_t s = 1; s <= stages; ++s) {
    const std::string up = "up" + std::to_string(s);
    source << "    h = torch.conv_transpose2d(h, self." << up << ".weight, self." << up << ".bias, [2, 2], [1, 1])\n";
    if (s == stages) break;
    source << batchNormIfPresent(copy, s) << "    h = torch.relu(h)\n";
  }
  source << "    return torch.tanh(h)\n";
  return copy.define(source.str());
}

torch::jit::Module DcganDiscriminator::toTorchScript(const TorchScriptShape& shape) {
  TorchScriptCopy copy("Discriminator", *this);
  std::ostringstream source;
  const bool conditional = beginDiscriminatorForward(copy, source);
  source << "    h = x.reshape(x.size(0)" << shapeList(shape.sample_shape) << ")\n";
  for (int64_t s = 1; s <= shape_.stages(); ++s) {
    const std::string down = "down" + std::to_string(s);
    source << "    h = torch.conv2d(h, self." << down << ".weight, self." << down << ".bias, [2, 2], [1, 1])\n";
    source << batchNormIfPresent(copy, s) << "    h = torch.leaky_relu(h, 0.2)\n";
  }
  source << "    f = torch.flatten(h, 1)\n"
         << discriminatorOutput(copy, "torch.linear(f, self.head.weight, self.head.bias)", conditional);
  return copy.define(source.str());
}

}  // namespace gan::models
