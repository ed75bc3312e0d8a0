#include "models/gan_networks.h"

#include <sstream>

#include "common/error.h"
#include "models/dcgan_networks.h"
#include "models/mlp_networks.h"
#include "models/scripted_networks.h"

namespace gan::models {

int64_t featureCount(const std::vector<int64_t>& shape) {
  GAN_CHECK(!shape.empty(), "networks need a sample shape");
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

torch::jit::Module Network::toTorchScript(const TorchScriptShape&) {
  GAN_FAIL("TorchScript export: ", name(), " has none (a network of gan_dist's must write its forward in TorchScript)");
}

int64_t networkClasses(const ModelConfig& config, const NetworkInputs& inputs) {
  if (!config.conditional) return 0;
  GAN_CHECK(inputs.classes >= 1, "--model.conditional needs a labelled data set; the networks were given no classes");
  return inputs.classes;
}

BatchNormPolicy batchNormPolicy(const ModelConfig& config, const NetworkInputs& inputs, NetworkRole role) {
  // A gradient penalty (WGAN-GP, R1) is a per-sample gradient, which batch norm couples.
  if (role == NetworkRole::Discriminator && inputs.gradient_penalty) return BatchNormPolicy::None;
  const auto policy = config.batchnorm;
  GAN_CHECK(policy != BatchNormPolicy::Sync || inputs.communicator != nullptr,
            "--model.batchnorm=sync needs the job's communicator");
  return policy;
}

namespace {

// How each architecture of common/architectures.h is built: one row each; the builders live in
// the architecture's own files.
struct ArchitectureBuilders {
  ModelArch arch;
  std::shared_ptr<Generator> (*generator)(const ModelConfig&, const NetworkInputs&);
  std::shared_ptr<Discriminator> (*discriminator)(const ModelConfig&, const NetworkInputs&);
};

const ArchitectureBuilders kBuilders[] = {
    {ModelArch::Mlp, buildMlpGenerator, buildMlpDiscriminator},
    {ModelArch::Mlp2d, buildMlpGenerator, buildMlpDiscriminator},
    {ModelArch::Dcgan, buildDcganGenerator, buildDcganDiscriminator},
    {ModelArch::TorchScript, buildScriptedGenerator, buildScriptedDiscriminator},
};

const ArchitectureBuilders& buildersOf(ModelArch arch) {
  for (const auto& row : kBuilders) {
    if (row.arch == arch) return row;
  }
  GAN_FAIL("--model.arch=", arch, " has no builders (models/gan_networks.cpp)");
}

}  // namespace

std::shared_ptr<Generator> buildGenerator(const ModelConfig& config, const NetworkInputs& inputs) {
  return buildersOf(config.arch).generator(config, inputs);
}

std::shared_ptr<Discriminator> buildDiscriminator(const ModelConfig& config, const NetworkInputs& inputs) {
  return buildersOf(config.arch).discriminator(config, inputs);
}

GanNetworks buildGanNetworks(const ModelConfig& config, const NetworkInputs& inputs) {
  GanNetworks networks;
  networks.generator = buildGenerator(config, inputs);
  networks.discriminator = buildDiscriminator(config, inputs);
  return networks;
}

GanNetworks buildGanNetworks(const ModelConfig& config, int64_t sample_dim) {
  NetworkInputs inputs;
  inputs.sample_shape = {sample_dim};
  return buildGanNetworks(config, inputs);
}

torch::Tensor generateSamples(Generator& generator, const torch::Tensor& z, const torch::Tensor& labels) {
  torch::NoGradGuard no_grad;
  const bool was_training = generator.is_training();
  generator.eval();
  auto samples = generator.forward(z, labels);
  if (was_training) generator.train();
  return samples;
}

std::string architectureSignature(torch::nn::Module& module) {
  std::ostringstream out;
  for (const auto& item : module.named_parameters()) {
    out << item.key() << ":" << item.value().sizes() << ";";
  }
  return out.str();
}

}  // namespace gan::models
