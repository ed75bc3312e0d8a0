#include "interop/initial_weights.h"

#include <filesystem>
#include <optional>

#include "checkpoint/tensor_archive.h"
#include "common/error.h"
#include "interop/state_dict_reader.h"

namespace gan::interop {
namespace {

using format::SavedTensors;
using NetworkTensors = std::map<std::string, torch::Tensor>;

// A network's live tensors by their state-dict names, for lookup.
NetworkTensors namedTensors(torch::nn::Module& network) {
  const auto ordered = stateDictOf(network);
  return {ordered.begin(), ordered.end()};
}

// How far `saved` is from `network`'s names: missing and unexpected keys (empty when they match).
std::string nameMismatch(const SavedTensors& saved, const NetworkTensors& network) {
  std::string missing, unexpected;
  for (const auto& [name, tensor] : network) {
    if (!saved.count(name)) missing += (missing.empty() ? "" : ", ") + ("'" + name + "'");
  }
  for (const auto& [name, tensor] : saved) {
    if (!network.count(name)) unexpected += (unexpected.empty() ? "" : ", ") + ("'" + name.substr(0, 100) + "'");
  }
  std::string text;
  if (!missing.empty()) text += "missing " + missing;
  if (!unexpected.empty()) text += (text.empty() ? "" : "; ") + std::string("unexpected ") + unexpected;
  return text;
}

std::string shapeText(const std::vector<int64_t>& sizes) { return c10::str(c10::IntArrayRef(sizes)); }

// The first tensor whose type or shape differs from the network's (empty when none does).
std::string layoutMismatch(const SavedTensors& saved, const NetworkTensors& network) {
  for (const auto& [name, live] : network) {
    const auto found = saved.find(name);
    if (found == saved.end()) continue;
    const format::SavedTensor& tensor = found->second;
    if (scalarTypeOf(tensor.type) != live.scalar_type()) {
      return "'" + name + "' has type " + format::elementName(tensor.type) + " in the file but " +
             std::string(c10::toString(live.scalar_type())) + " in the model";
    }
    if (live.sizes() != c10::IntArrayRef(tensor.sizes)) {
      return "'" + name + "' has shape " + shapeText(tensor.sizes) + " in the file but " + shapeText(live.sizes().vec()) +
             " in the model";
    }
  }
  return "";
}

// How well one saved dict fits a network: names shared, and whether names, types and shapes all match.
struct Fit {
  size_t shared_names = 0;
  bool exact = false;
};
Fit fitOf(const SavedTensors& saved, const NetworkTensors& network) {
  Fit fit;
  for (const auto& [name, tensor] : saved) fit.shared_names += network.count(name);
  fit.exact = nameMismatch(saved, network).empty() && layoutMismatch(saved, network).empty();
  return fit;
}

// Names, types and shapes are compared with the network before any tensor's data is read, so a
// crafted file costs no more memory than the model it claims to fit.
void loadNetwork(const format::StateDictFile& file, const SavedTensors& saved, torch::nn::Module& network,
                 const std::string& role, int64_t max_storage_elements) {
  const auto mine = namedTensors(network);
  const std::string& path = file.source();
  const std::string names = nameMismatch(saved, mine);
  GAN_CHECK(names.empty(), "--model.init_from: ", path, " does not hold this run's ", role, ": ", names,
            " (the names are docs/pytorch.md's modules')");
  const std::string layout = layoutMismatch(saved, mine);
  GAN_CHECK(layout.empty(), "--model.init_from: ", path, ": ", role, "'s ", layout);
  for (const auto& [name, destination] : mine) {
    torch::Tensor target = destination;
    torch::Tensor stored;
    try {
      stored = loadSavedTensor(file, saved.at(name), max_storage_elements);
    } catch (const Error& e) {
      GAN_FAIL("--model.init_from: ", e.what());
    }
    checkpoint::loadInto(target, stored, "--model.init_from: " + path + ": '" + name + "'");
  }
}

int64_t elementsOf(const NetworkTensors& tensors) {
  int64_t n = 0;
  for (const auto& [name, tensor] : tensors) n += tensor.numel();
  return n;
}

}  // namespace

std::string loadInitialWeights(const std::string& path, train::GanTrainer& trainer) {
  std::error_code error;
  GAN_CHECK(std::filesystem::is_regular_file(path, error), "--model.init_from: ", path,
            " is not a file (expected what torch.save(model.state_dict(), path) writes)");
  std::optional<format::StateDictFile> opened;
  try {
    opened.emplace(format::StateDictFile::open(path));
  } catch (const Error& e) {
    GAN_FAIL("--model.init_from: ", e.what(), "; save it with torch.save(model.state_dict(), path)");
  }
  const format::StateDictFile& file = *opened;
  const format::PickledStateDicts& saved = file.contents();
  const auto generator = namedTensors(trainer.generator());
  const auto discriminator = namedTensors(trainer.discriminator());
  // No storage a state dict of this model needs is larger than the whole model.
  const int64_t max_storage_elements = elementsOf(generator) + elementsOf(discriminator);
  std::string loaded;
  if (!saved.nested.empty()) {
    GAN_CHECK(saved.tensors.empty(), "--model.init_from: ", path, ": mixes tensors and dicts at the top level (expected "
              "one state dict, or {\"generator\": ..., \"discriminator\": ...})");
    for (const auto& [key, dict] : saved.nested) {
      GAN_CHECK(key == "generator" || key == "discriminator", "--model.init_from: ", path, ": unexpected entry '",
                key.substr(0, 100), "' (expected \"generator\" and/or \"discriminator\")");
    }
    if (saved.nested.count("generator")) {
      loadNetwork(file, saved.nested.at("generator"), trainer.generator(), "generator", max_storage_elements);
      loaded = "G";
    }
    if (saved.nested.count("discriminator")) {
      loadNetwork(file, saved.nested.at("discriminator"), trainer.discriminator(), "discriminator",
                  max_storage_elements);
      loaded += loaded.empty() ? "D" : " and D";
    }
  } else {
    GAN_CHECK(!saved.tensors.empty(), "--model.init_from: ", path, ": holds an empty dict");
    // One network's state dict: the one it fits in names, types and shapes (G and D of the
    // reference MLP share their names, fc1..fc3); failing both, the one whose names it shares
    // most, so the message names what differs.
    const Fit g = fitOf(saved.tensors, generator), d = fitOf(saved.tensors, discriminator);
    GAN_CHECK(!(g.exact && d.exact), "--model.init_from: ", path, ": fits both G and D of this run; save it as "
              "{\"generator\": ...} or {\"discriminator\": ...} to say which");
    const bool is_generator = g.exact || (!d.exact && g.shared_names >= d.shared_names);
    loadNetwork(file, saved.tensors,
                is_generator ? static_cast<torch::nn::Module&>(trainer.generator())
                             : static_cast<torch::nn::Module&>(trainer.discriminator()),
                is_generator ? "generator" : "discriminator", max_storage_elements);
    loaded = is_generator ? "G" : "D";
  }
  if (loaded.find('G') != std::string::npos && trainer.hasEma()) trainer.generatorState().resetEma();
  return loaded;
}

}  // namespace gan::interop
