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

namespace {

// The classes the networks are conditioned on: the data's, when --model.conditional asks.
int64_t classesOf(const ModelConfig& config, const NetworkInputs& inputs) {
  if (!config.conditional) return 0;
  GAN_CHECK(inputs.classes >= 1, "--model.conditional needs a labelled data set; the networks were given no classes");
  return inputs.classes;
}

MlpShape mlpShape(const ModelConfig& config, const NetworkInputs& inputs, BatchNormPolicy batchnorm) {
  MlpShape shape;
  shape.hidden_dim = config.hidden_dim;
  shape.hidden_layers = config.arch == ModelArch::Mlp2d ? 3 : 2;
  shape.tanh_output = config.arch == ModelArch::Mlp;
  shape.batchnorm = batchnorm;
  shape.communicator = inputs.communicator;
  shape.precision = inputs.precision;
  shape.classes = classesOf(config, inputs);
  return shape;
}

DcganShape dcganShape(const ModelConfig& config, const NetworkInputs& inputs, BatchNormPolicy batchnorm) {
  const auto& s = inputs.sample_shape;
  GAN_CHECK(s.size() == 3 && s[1] == s[2], "--model.arch=dcgan needs square images; this data set's samples have shape [",
            s.size() == 3 ? std::to_string(s[0]) + "," + std::to_string(s[1]) + "," + std::to_string(s[2])
                          : std::to_string(featureCount(s)),
            "] (use --model.arch=mlp2d for 2-D points)");
  DcganShape shape;
  shape.channels = s[0];
  shape.side = s[1];
  shape.width = config.width;
  shape.batchnorm = batchnorm;
  shape.communicator = inputs.communicator;
  shape.precision = inputs.precision;
  shape.classes = classesOf(config, inputs);
  return shape;
}

ScriptedContract scriptedContract(const ModelConfig& config, const NetworkInputs& inputs) {
  return {inputs.sample_shape, config.latent_dim, classesOf(config, inputs)};
}

BatchNormPolicy policyFor(const ModelConfig& config, const NetworkInputs& inputs) {
  const auto policy = config.batchnorm;
  GAN_CHECK(policy != BatchNormPolicy::Sync || inputs.communicator != nullptr,
            "--model.batchnorm=sync needs the job's communicator");
  return policy;
}

}  // namespace

std::shared_ptr<Generator> buildGenerator(const ModelConfig& config, const NetworkInputs& inputs) {
  if (config.arch == ModelArch::TorchScript) {
    return std::make_shared<ScriptedGenerator>(config.generator_file, scriptedContract(config, inputs));
  }
  const auto policy = policyFor(config, inputs);
  if (config.arch == ModelArch::Dcgan) return std::make_shared<DcganGenerator>(config.latent_dim, dcganShape(config, inputs, policy));
  return std::make_shared<MlpGenerator>(config.latent_dim, featureCount(inputs.sample_shape), mlpShape(config, inputs, policy));
}

std::shared_ptr<Discriminator> buildDiscriminator(const ModelConfig& config, const NetworkInputs& inputs) {
  if (config.arch == ModelArch::TorchScript) {
    auto discriminator = std::make_shared<ScriptedDiscriminator>(config.discriminator_file, scriptedContract(config, inputs));
    GAN_CHECK(!(inputs.gradient_penalty && discriminator->usesBatchStatistics()), "--model.discriminator_file: ",
              config.discriminator_file, " has batch norm, which couples the rows a gradient penalty (R1, WGAN-GP) "
              "takes one at a time; remove it from D or the penalty");
    return discriminator;
  }
  const auto policy = inputs.gradient_penalty ? BatchNormPolicy::None : policyFor(config, inputs);
  if (config.arch == ModelArch::Dcgan) return std::make_shared<DcganDiscriminator>(dcganShape(config, inputs, policy));
  return std::make_shared<MlpDiscriminator>(featureCount(inputs.sample_shape), mlpShape(config, inputs, policy));
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
