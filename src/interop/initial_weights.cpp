#include "interop/initial_weights.h"

#include <filesystem>
#include <set>

#include "checkpoint/tensor_archive.h"
#include "common/error.h"
#include "interop/state_dict_reader.h"

namespace gan::interop {
namespace {

// A network's live tensors by their state-dict names, for lookup.
std::map<std::string, torch::Tensor> namedTensors(torch::nn::Module& network) {
  const auto ordered = stateDictOf(network);
  return {ordered.begin(), ordered.end()};
}

// How far `saved` is from `network`'s names: missing and unexpected keys (empty when they match).
std::string nameMismatch(const StateDict& saved, const std::map<std::string, torch::Tensor>& network) {
  std::string missing, unexpected;
  for (const auto& [name, tensor] : network) {
    if (!saved.count(name)) missing += (missing.empty() ? "" : ", ") + ("'" + name + "'");
  }
  for (const auto& [name, tensor] : saved) {
    if (!network.count(name)) unexpected += (unexpected.empty() ? "" : ", ") + ("'" + name + "'");
  }
  std::string text;
  if (!missing.empty()) text += "missing " + missing;
  if (!unexpected.empty()) text += (text.empty() ? "" : "; ") + std::string("unexpected ") + unexpected;
  return text;
}

size_t sharedNames(const StateDict& saved, const std::map<std::string, torch::Tensor>& network) {
  size_t n = 0;
  for (const auto& [name, tensor] : saved) n += network.count(name);
  return n;
}

void loadNetwork(const StateDict& saved, torch::nn::Module& network, const std::string& role, const std::string& path) {
  const auto mine = namedTensors(network);
  const std::string mismatch = nameMismatch(saved, mine);
  GAN_CHECK(mismatch.empty(), "--model.init_from: ", path, " does not hold this run's ", role, ": ", mismatch,
            " (the names are docs/pytorch.md's modules')");
  for (const auto& [name, destination] : mine) {
    torch::Tensor target = destination;
    checkpoint::loadInto(target, saved.at(name), "--model.init_from: " + path + ": '" + name + "'");
  }
}

}  // namespace

std::string loadInitialWeights(const std::string& path, train::GanTrainer& trainer) {
  std::error_code error;
  GAN_CHECK(std::filesystem::is_regular_file(path, error), "--model.init_from: ", path,
            " is not a file (expected what torch.save(model.state_dict(), path) writes)");
  SavedStateDicts saved;
  try {
    saved = readSavedStateDicts(path);
  } catch (const Error& e) {
    GAN_FAIL("--model.init_from: ", e.what());
  }
  const auto generator = namedTensors(trainer.generator());
  const auto discriminator = namedTensors(trainer.discriminator());
  std::string loaded;
  if (!saved.nested.empty()) {
    GAN_CHECK(saved.tensors.empty(), "--model.init_from: ", path, ": mixes tensors and dicts at the top level (expected "
              "one state dict, or {\"generator\": ..., \"discriminator\": ...})");
    for (const auto& [key, dict] : saved.nested) {
      GAN_CHECK(key == "generator" || key == "discriminator", "--model.init_from: ", path, ": unexpected entry '", key,
                "' (expected \"generator\" and/or \"discriminator\")");
    }
    if (saved.nested.count("generator")) {
      loadNetwork(saved.nested.at("generator"), trainer.generator(), "generator", path);
      loaded = "G";
    }
    if (saved.nested.count("discriminator")) {
      loadNetwork(saved.nested.at("discriminator"), trainer.discriminator(), "discriminator", path);
      loaded += loaded.empty() ? "D" : " and D";
    }
  } else {
    GAN_CHECK(!saved.tensors.empty(), "--model.init_from: ", path, ": holds an empty dict");
    // One network's state dict: the one whose names it shares most.
    const bool is_generator = sharedNames(saved.tensors, generator) >= sharedNames(saved.tensors, discriminator);
    loadNetwork(saved.tensors, is_generator ? static_cast<torch::nn::Module&>(trainer.generator())
                                         : static_cast<torch::nn::Module&>(trainer.discriminator()),
             is_generator ? "generator" : "discriminator", path);
    loaded = is_generator ? "G" : "D";
  }
  if (loaded.find('G') != std::string::npos && trainer.hasEma()) trainer.generatorState().resetEma();
  return loaded;
}

}  // namespace gan::interop
