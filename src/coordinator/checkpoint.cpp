#include "coordinator/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "common/error.h"
#include "common/file_contents.h"
#include "models/gan_networks.h"

namespace fs = std::filesystem;

namespace gan::coordinator {
namespace {

// Every checkpoint has these; ema_G.pt joins them when the run keeps an EMA of G.
const char* const kRequiredFiles[] = {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt", CheckpointFiles::kState};

// The file that holds one part of one network's state: model_G.pt, optim_D.pt, ema_G.pt.
std::string fileOf(const train::NetworkState& network, train::StatePart part) {
  switch (part) {
    case train::StatePart::Parameters: return "model_" + network.name() + ".pt";
    case train::StatePart::Optimizer: return "optim_" + network.name() + ".pt";
    case train::StatePart::Ema: return "ema_" + network.name() + ".pt";
  }
  GAN_FAIL("unknown state part");
}

void fsyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  GAN_CHECK(fd >= 0, path.string(), ": cannot open to flush");
  const int rc = ::fsync(fd);
  ::close(fd);
  GAN_CHECK(rc == 0, path.string(), ": fsync failed");
}

uint32_t crc32Of(const std::string& bytes) {
  return static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size())));
}

void saveModule(torch::nn::Module& module, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  module.save(archive);
  archive.save_to(path.string());
}

// One part of a network's state as one file: the module archives keep torch::save(module)'s
// layout (readable by LibTorch users); the optimizer's tensors go in by name.
void savePart(train::NetworkState& network, train::StatePart part, const fs::path& path) {
  if (part == train::StatePart::Parameters) return saveModule(network.module(), path);
  if (part == train::StatePart::Ema) return saveModule(network.emaModule(), path);
  torch::serialize::OutputArchive archive;
  for (const auto& entry : network.replicatedTensors()) {
    if (entry.part == part) archive.write(entry.name, entry.tensor.detach().cpu());
  }
  archive.save_to(path.string());
}

// Reads "fc1.weight" from the nested archive layout module.save() produces.
torch::Tensor readNested(torch::serialize::InputArchive& archive, const std::string& dotted,
                         const std::string& file) {
  const auto dot = dotted.find('.');
  torch::Tensor tensor;
  if (dot == std::string::npos) {
    GAN_CHECK(archive.try_read(dotted, tensor), file, ": tensor '", dotted, "' is missing");
    return tensor;
  }
  torch::serialize::InputArchive child;
  GAN_CHECK(archive.try_read(dotted.substr(0, dot), child), file, ": module '", dotted.substr(0, dot),
            "' is missing");
  return readNested(child, dotted.substr(dot + 1), file);
}

void loadInto(torch::Tensor& destination, const torch::Tensor& stored, const std::string& what) {
  GAN_CHECK(stored.sizes() == destination.sizes(), what, " has shape ", stored.sizes(),
            " in the checkpoint but ", destination.sizes(), " in the model");
  torch::NoGradGuard no_grad;
  destination.copy_(stored);
}

// Loads every tensor of `part` from `path` into the live state of `network`.
void loadPart(train::NetworkState& network, train::StatePart part, const fs::path& path) {
  torch::serialize::InputArchive archive;
  archive.load_from(path.string());
  for (auto& entry : network.replicatedTensors()) {
    if (entry.part != part) continue;
    loadInto(entry.tensor, readNested(archive, entry.name, path.string()), path.string() + ": tensor '" + entry.name + "'");
  }
}

}  // namespace

std::string writeCheckpoint(const RunDirectory& run, const TrainingPosition& position, train::GanTrainer& trainer,
                            const Config& config, const std::function<void()>& after_each_file) {
  const fs::path root = run.checkpoints();
  fs::create_directories(root);
  const fs::path final_dir = run.checkpoint(position.step);
  const std::string name = final_dir.filename().string();
  const fs::path temporary = root / ("." + name + ".tmp");
  fs::remove_all(temporary);
  fs::create_directories(temporary);

  auto wrote = [&] {
    if (after_each_file) after_each_file();
  };
  // Weights and optimizer state of every network, then state.json, then the EMAs: the MANIFEST
  // lists them in this order.
  std::vector<std::string> files;
  for (const auto part : {train::StatePart::Parameters, train::StatePart::Optimizer}) {
    for (train::NetworkState* network : trainer.networkStates()) {
      files.push_back(fileOf(*network, part));
      savePart(*network, part, temporary / files.back());
      wrote();
    }
  }
  files.push_back(CheckpointFiles::kState);
  for (train::NetworkState* network : trainer.networkStates()) {
    if (!network->hasEma()) continue;
    files.push_back(fileOf(*network, train::StatePart::Ema));
    savePart(*network, train::StatePart::Ema, temporary / files.back());
  }

  nlohmann::json state;
  state["format_version"] = kCheckpointFormatVersion;
  state["step"] = position.step;
  state["world_size"] = position.world_size;
  state["global_batch"] = position.global_batch;
  state["steps_per_epoch"] = position.steps_per_epoch;
  state["epoch"] = position.steps_per_epoch > 0 ? position.step / position.steps_per_epoch : 0;
  state["position_in_epoch"] = position.steps_per_epoch > 0 ? position.step % position.steps_per_epoch : 0;
  state["seed"] = position.seed;
  state["sample_shape"] = position.sample_shape;
  state["rng"] = "data order = permutation(seed, epoch); noise = normal(seed, step, global row): no stored state";
  state["architecture"] = {{"generator", models::architectureSignature(trainer.generator())},
                           {"discriminator", models::architectureSignature(trainer.discriminator())}};
  nlohmann::json config_json;
  for (const auto& [key, value] : config.entries()) config_json[key] = value;
  state["config"] = config_json;
  std::ofstream(temporary / CheckpointFiles::kState) << state.dump(2) << "\n";
  wrote();

  std::ostringstream manifest;
  for (const std::string& file : files) {
    const std::string bytes = readFileContents((temporary / file).string());
    manifest << file << " " << bytes.size() << " " << std::hex << std::setw(8) << std::setfill('0')
             << crc32Of(bytes) << std::dec << "\n";
    fsyncPath(temporary / file);
  }
  std::ofstream(temporary / CheckpointFiles::kManifest) << manifest.str();
  fsyncPath(temporary / CheckpointFiles::kManifest);
  fsyncPath(temporary);

  fs::remove_all(final_dir);
  fs::rename(temporary, final_dir);
  fsyncPath(root);

  // `latest` moves only once the new directory is complete and durable.
  const fs::path link_temporary = root / ".latest.tmp";
  fs::remove(link_temporary);
  fs::create_directory_symlink(name, link_temporary);
  fs::rename(link_temporary, run.latestCheckpointLink());
  fsyncPath(root);
  return final_dir.string();
}

std::string latestCheckpoint(const RunDirectory& run) {
  const fs::path link = run.latestCheckpointLink();
  if (!fs::is_symlink(link)) return {};
  return (link.parent_path() / fs::read_symlink(link)).string();
}

std::vector<std::string> listCheckpoints(const RunDirectory& run) {
  const fs::path root = run.checkpoints();
  std::vector<std::pair<int64_t, std::string>> found;
  if (!fs::is_directory(root)) return {};
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    // Only renamed (complete) directories: "step_00001234"; ".step_...tmp" are unfinished.
    const int64_t step = RunDirectory::stepOfName(name);
    if (entry.is_directory() && !entry.is_symlink() && step >= 0) found.emplace_back(step, entry.path().string());
  }
  std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> paths;
  for (auto& item : found) paths.push_back(std::move(item.second));
  return paths;
}

void pruneCheckpoints(const RunDirectory& run, int64_t keep_last) {
  if (keep_last <= 0) return;
  const auto checkpoints = listCheckpoints(run);
  const std::string latest = latestCheckpoint(run);
  for (size_t i = static_cast<size_t>(keep_last); i < checkpoints.size(); ++i) {
    if (!latest.empty() && fs::equivalent(checkpoints[i], latest)) continue;
    fs::remove_all(checkpoints[i]);
  }
}

nlohmann::json verifyCheckpoint(const std::string& checkpoint_dir) {
  const fs::path dir(checkpoint_dir);
  GAN_CHECK(fs::is_directory(dir), "checkpoint '", checkpoint_dir, "' is not a directory");
  const fs::path manifest_path = dir / CheckpointFiles::kManifest;
  GAN_CHECK(fs::exists(manifest_path), manifest_path.string(), ": missing (incomplete checkpoint)");
  std::istringstream manifest(readFileContents(manifest_path.string()));
  std::string file, crc_text;
  size_t size = 0;
  std::vector<std::string> listed;
  while (manifest >> file >> size >> crc_text) {
    const fs::path path = dir / file;
    GAN_CHECK(fs::exists(path), path.string(), ": listed in MANIFEST but missing");
    const std::string bytes = readFileContents(path.string());
    GAN_CHECK(bytes.size() == size, path.string(), ": size ", bytes.size(), " differs from MANIFEST (", size, ")");
    GAN_CHECK(crc32Of(bytes) == std::stoul(crc_text, nullptr, 16), path.string(), ": checksum mismatch (corrupt file)");
    listed.push_back(file);
  }
  for (const char* required : kRequiredFiles) {
    GAN_CHECK(std::find(listed.begin(), listed.end(), required) != listed.end(), manifest_path.string(),
              ": does not list ", required, " (incomplete checkpoint)");
  }
  try {
    auto state = nlohmann::json::parse(readFileContents(CheckpointFiles::stateOf(dir).string()));
    const int version = state.at("format_version").get<int>();
    GAN_CHECK(version >= 1 && version <= kCheckpointFormatVersion, CheckpointFiles::stateOf(dir).string(), ": format version ",
              version, ", this build reads versions 1 to ", kCheckpointFormatVersion);
    return state;
  } catch (const nlohmann::json::exception& e) {
    GAN_FAIL(CheckpointFiles::stateOf(dir).string(), ": malformed (", e.what(), ")");
  }
}

CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, train::GanTrainer& trainer) {
  return loadCheckpoint(checkpoint_dir, verifyCheckpoint(checkpoint_dir), trainer);
}

CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, const nlohmann::json& verified_state,
                                  train::GanTrainer& trainer) {
  const fs::path dir(checkpoint_dir);
  CheckpointContents contents;
  contents.state = verified_state;
  try {
    auto& position = contents.position;
    position.step = contents.state.at("step").get<int64_t>();
    position.world_size = contents.state.at("world_size").get<int>();
    position.global_batch = contents.state.at("global_batch").get<int64_t>();
    position.steps_per_epoch = contents.state.at("steps_per_epoch").get<int64_t>();
    position.seed = contents.state.at("seed").get<int64_t>();
    position.sample_shape = contents.state.at("sample_shape").get<std::vector<int64_t>>();
    const auto& arch = contents.state.at("architecture");
    GAN_CHECK(arch.at("generator").get<std::string>() == models::architectureSignature(trainer.generator()),
              CheckpointFiles::stateOf(dir).string(), ": the generator's architecture differs from the configured model");
    GAN_CHECK(arch.at("discriminator").get<std::string>() == models::architectureSignature(trainer.discriminator()),
              CheckpointFiles::stateOf(dir).string(), ": the discriminator's architecture differs from the configured model");
  } catch (const nlohmann::json::exception& e) {
    GAN_FAIL(CheckpointFiles::stateOf(dir).string(), ": malformed (", e.what(), ")");
  }
  for (train::NetworkState* network : trainer.networkStates()) {
    loadPart(*network, train::StatePart::Parameters, dir / fileOf(*network, train::StatePart::Parameters));
    loadPart(*network, train::StatePart::Optimizer, dir / fileOf(*network, train::StatePart::Optimizer));
    if (!network->hasEma()) continue;
    const fs::path ema_file = dir / fileOf(*network, train::StatePart::Ema);
    contents.ema_restored = fs::exists(ema_file);
    if (contents.ema_restored) {
      loadPart(*network, train::StatePart::Ema, ema_file);
    } else {
      network->resetEma();  // the checkpoint's run kept no EMA: start one here
    }
  }
  return contents;
}

}  // namespace gan::coordinator
