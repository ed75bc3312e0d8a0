#include "interop/pytorch_export.h"

#include <torch/script.h>
#include <torch/serialize.h>

#include <filesystem>
#include <sstream>

#include "checkpoint/networks_from_checkpoint.h"
#include "checkpoint/format/durable_file.h"
#include "common/error.h"
#include "interop/state_dict_reader.h"
#include "models/scripted_networks.h"

namespace gan::interop {
namespace fs = std::filesystem;
namespace {

// {name: tensor} as torch.save writes a dict: Python's torch.load reads it, and
// module.load_state_dict(strict=True) takes it for the module definitions in docs/pytorch.md.
std::string stateDictBytes(torch::nn::Module& network) {
  c10::Dict<std::string, torch::Tensor> state;
  for (const auto& [name, tensor] : stateDictOf(network)) state.insert(name, tensor.detach().cpu().clone());
  const std::vector<char> bytes = torch::pickle_save(c10::IValue(state));
  return std::string(bytes.begin(), bytes.end());
}

std::string torchScriptBytes(torch::jit::Module& module) {
  std::ostringstream out;
  module.save(out);
  return out.str();
}

// Every entry of the exported state dict and its shape.
nlohmann::json parameterShapes(torch::nn::Module& network) {
  nlohmann::json shapes = nlohmann::json::object();
  for (const auto& [name, tensor] : stateDictOf(network)) shapes[name] = tensor.sizes().vec();
  return shapes;
}

// Whether the network has batch norm layers (D has none with a gradient penalty, whatever
// --model.batchnorm says).
bool hasBatchNorm(models::Network& network) {
  if (auto* script = models::scriptedModuleOf(network)) return script->usesBatchStatistics();
  for (const auto& child : network.named_children()) {
    if (child.key().rfind("bn", 0) == 0) return true;
  }
  return false;
}

nlohmann::json outputRange(OutputRange range) {
  switch (range) {
    case OutputRange::Tanh: return {-1, 1};
    case OutputRange::Unbounded: return "unbounded";
    case OutputRange::ModuleDefined: return "the module's own";
  }
  GAN_FAIL("unknown output range");
}

}  // namespace

ExportSummary exportForPyTorch(const ExportOptions& options) {
  GAN_CHECK(!options.checkpoint.empty(), "--checkpoint is required");
  GAN_CHECK(!options.out_dir.empty(), "--out is required");
  const auto networks = checkpoint::loadNetworksFromCheckpoint(options.checkpoint);
  const bool ema = networks.ema_generator != nullptr && !options.raw_generator;
  models::Generator& generator = ema ? *networks.ema_generator : *networks.generator;
  models::Discriminator& discriminator = *networks.discriminator;
  generator.eval();
  discriminator.eval();
  const auto& model = networks.config.model;
  const models::TorchScriptShape shape{model.latent_dim, networks.sample_shape};
  auto scripted_generator = generator.toTorchScript(shape);
  auto scripted_discriminator = discriminator.toTorchScript(shape);

  ExportSummary summary;
  auto& meta = summary.metadata;
  std::vector<int64_t> batch_shape = {-1};
  batch_shape.insert(batch_shape.end(), networks.sample_shape.begin(), networks.sample_shape.end());
  meta["format"] = "gan_dist export 1";
  meta["checkpoint"] = fs::weakly_canonical(fs::absolute(options.checkpoint)).string();  // `latest` resolved
  meta["step"] = networks.step;
  meta["architecture"] = optionName(model.arch);
  meta["latent_dim"] = model.latent_dim;
  meta["sample_shape"] = networks.sample_shape;
  meta["data_set"] = optionName(networks.config.data.name);
  // A conditional model's networks take the class labels as their second input.
  const int64_t classes = scripted_generator.attr("classes").toInt();
  meta["classes"] = classes;
  nlohmann::json generator_input = {{"z", {-1, model.latent_dim}}, {"distribution", "standard normal"}};
  nlohmann::json discriminator_input = {{"shape", batch_shape}};
  if (classes > 0) {
    const nlohmann::json labels = {{"shape", {-1}}, {"dtype", "int64"}, {"range", {0, classes - 1}}};
    generator_input["labels"] = labels;
    discriminator_input["labels"] = labels;
  }
  meta["generator"] = {{"torchscript", "generator.torchscript.pt"},
                       {"state_dict", "generator.state_dict.pt"},
                       {"ema", ema},
                       {"batchnorm", hasBatchNorm(generator)},
                       {"input", generator_input},
                       {"output", {{"shape", batch_shape},
                                   {"range", outputRange(traitsOf(model.arch).output)}}},
                       {"parameters", parameterShapes(generator)}};
  meta["discriminator"] = {{"torchscript", "discriminator.torchscript.pt"},
                           {"state_dict", "discriminator.state_dict.pt"},
                           {"batchnorm", hasBatchNorm(discriminator)},
                           {"input", discriminator_input},
                           {"output", {{"shape", {-1, 1}}, {"meaning", "logit: sigmoid gives D's probability"}}},
                           {"parameters", parameterShapes(discriminator)}};
  meta["batch_statistics"] = traitsOf(model.arch).written_in_pytorch
                                 ? "as the modules were written (their own batch norm keeps running statistics)"
                             : model.batchnorm != BatchNormPolicy::None
                                 ? "batch norm uses each batch's own statistics (no running averages): sample in batches"
                                 : "none";
  nlohmann::json config = nlohmann::json::object();
  for (const auto& [key, value] : networks.config.entries()) config[key] = value;
  meta["config"] = config;

  const fs::path out(options.out_dir);
  std::error_code error;
  fs::create_directories(out, error);
  GAN_CHECK(!error, "--out: cannot create ", out.string(), " (", error.message(), ")");
  const std::vector<std::pair<std::string, std::string>> files = {
      {"generator.torchscript.pt", torchScriptBytes(scripted_generator)},
      {"generator.state_dict.pt", stateDictBytes(generator)},
      {"discriminator.torchscript.pt", torchScriptBytes(scripted_discriminator)},
      {"discriminator.state_dict.pt", stateDictBytes(discriminator)},
      {"export.json", meta.dump(2) + "\n"}};
  for (const auto& [name, bytes] : files) {
    checkpoint::writeFileChecked(out / name, bytes);
    summary.files.push_back((out / name).string());
  }
  return summary;
}

}  // namespace gan::interop
