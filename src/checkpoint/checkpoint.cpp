#include "checkpoint/checkpoint.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "checkpoint/checkpoint_storage.h"
#include "checkpoint/format/durable_file.h"
#include "checkpoint/format/manifest.h"
#include "checkpoint/tensor_archive.h"
#include "common/error.h"
#include "common/file_contents.h"
#include "models/gan_networks.h"

namespace fs = std::filesystem;

namespace gan::checkpoint {
namespace {

// Every checkpoint has these; ema_G.pt joins them when the run keeps an EMA of G.
const char* const kRequiredFiles[] = {"model_G.pt", "model_D.pt", "optim_G.pt", "optim_D.pt", CheckpointFiles::kState};

// The file that holds one part of one network's state: model_G.pt, optim_D.pt, ema_G.pt.
std::string fileOf(const parallel::NetworkState& network, parallel::StatePart part) {
  switch (part) {
    case parallel::StatePart::Parameters: return "model_" + network.name() + ".pt";
    case parallel::StatePart::Optimizer: return "optim_" + network.name() + ".pt";
    case parallel::StatePart::Ema: return "ema_" + network.name() + ".pt";
    case parallel::StatePart::Reduction: return network.reduction().stateName() + ("_" + network.name()) + ".pt";
  }
  GAN_FAIL("unknown state part");
}

// Whether the network's gradient reduction keeps state of its own (a file of the checkpoint).
bool keepsReductionState(const parallel::NetworkState& network) { return *network.reduction().stateName() != '\0'; }

// One part of a network's state as one file, copied to host memory: the module archives keep
// torch::save(module)'s layout (readable by LibTorch users); the optimizer's tensors go in by name.
CheckpointSnapshot::File snapshotPart(parallel::NetworkState& network, parallel::StatePart part) {
  CheckpointSnapshot::File file;
  file.name = fileOf(network, part);
  if (part == parallel::StatePart::Parameters) {
    file.module = hostCopyOf(network.module());
    return file;
  }
  if (part == parallel::StatePart::Ema) {
    file.module = hostCopyOf(network.emaModule());
    return file;
  }
  for (const auto& entry : network.replicatedTensors()) {
    if (entry.part == part) file.tensors.emplace_back(entry.name, hostCopyOf(entry.tensor.detach()));
  }
  // Every rank's own state of the reduction, one row per rank, as gathered just before this snapshot.
  if (part == parallel::StatePart::Reduction && network.hasPerRankState()) {
    file.tensors.emplace_back(network.reduction().perRankStateName(), network.takeGatheredPerRankState());
  }
  return file;
}

int64_t bytesOf(const NamedTensors& tensors) {
  int64_t bytes = 0;
  for (const auto& [name, tensor] : tensors) bytes += tensor.numel() * static_cast<int64_t>(tensor.element_size());
  return bytes;
}

int64_t bytesOf(const ModuleTensors& module) {
  int64_t bytes = bytesOf(module.parameters) + bytesOf(module.buffers);
  for (const auto& [name, child] : module.children) bytes += bytesOf(child);
  return bytes;
}

// Loads every tensor of `part` from `path` into the live state of `network`.
// `world_size` is the checkpoint's: the per-rank rows must be one per rank of the run that wrote it.
void loadPart(parallel::NetworkState& network, parallel::StatePart part, const fs::path& path, int world_size = 1) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string());
  } catch (const std::exception& e) {
    GAN_FAIL(path.string(), ": not a readable LibTorch archive (", firstLine(e.what()), ")");
  }
  for (auto& entry : network.replicatedTensors()) {
    if (entry.part != part) continue;
    loadInto(entry.tensor, readNested(archive, entry.name, path.string()), path.string() + ": tensor '" + entry.name + "'");
  }
  if (part == parallel::StatePart::Reduction && network.hasPerRankState()) {
    const std::string rows = network.reduction().perRankStateName();
    network.setLoadedPerRankState(readNested(archive, rows, path.string()), world_size,
                                  path.string() + ": tensor '" + rows + "'");
  }
}

}  // namespace

CheckpointSnapshot takeSnapshot(const TrainingPosition& position, train::GanTrainer& trainer, const Config& config) {
  CheckpointSnapshot snapshot;
  snapshot.position = position;
  // Weights and optimizer state of every network, then (after state.json in MANIFEST) the EMAs
  // and the gradient reductions' own state.
  for (const auto part : {parallel::StatePart::Parameters, parallel::StatePart::Optimizer}) {
    for (parallel::NetworkState* network : trainer.networkStates()) snapshot.files.push_back(snapshotPart(*network, part));
  }
  snapshot.state_after = snapshot.files.size();
  for (parallel::NetworkState* network : trainer.networkStates()) {
    if (network->hasEma()) snapshot.files.push_back(snapshotPart(*network, parallel::StatePart::Ema));
  }
  for (parallel::NetworkState* network : trainer.networkStates()) {
    if (keepsReductionState(*network)) snapshot.files.push_back(snapshotPart(*network, parallel::StatePart::Reduction));
  }
  for (const auto& file : snapshot.files) snapshot.bytes += file.module ? bytesOf(*file.module) : bytesOf(file.tensors);

  auto& state = snapshot.state;
  state["format_version"] = kCheckpointFormatVersion;
  writePosition(position, state);
  state["rng"] = "data order = permutation(seed, epoch); noise = normal(seed, step, global row): no stored state";
  state["architecture"] = {{"generator", models::architectureSignature(trainer.generator())},
                           {"discriminator", models::architectureSignature(trainer.discriminator())}};
  nlohmann::json config_json;
  for (const auto& [key, value] : config.entries()) config_json[key] = value;
  state["config"] = config_json;
  return snapshot;
}

namespace {

// Writes every file of the checkpoint into `temporary` and makes them durable. `after_each_file`
// follows each model_*, optim_* file and state.json (what the fault-injection tests count).
void writeCheckpointFiles(const fs::path& temporary, const CheckpointSnapshot& snapshot,
                          const std::function<void()>& after_each_file) {
  auto wrote = [&] {
    if (after_each_file) after_each_file();
  };
  std::vector<std::string> files;
  auto write = [&](const CheckpointSnapshot::File& file) {
    files.push_back(file.name);
    if (file.module) {
      saveModule(*file.module, temporary / file.name);
    } else {
      saveTensors(file.tensors, temporary / file.name);
    }
  };
  for (size_t i = 0; i < snapshot.state_after; ++i) {
    write(snapshot.files[i]);
    wrote();
  }
  files.push_back(CheckpointFiles::kState);
  writeFileChecked(temporary / CheckpointFiles::kState, snapshot.state.dump(2) + "\n");
  wrote();
  for (size_t i = snapshot.state_after; i < snapshot.files.size(); ++i) write(snapshot.files[i]);

  std::vector<ManifestEntry> manifest;
  for (const std::string& file : files) {
    const std::string bytes = readFileContents((temporary / file).string());
    manifest.push_back({file, bytes.size(), crc32Of(bytes)});
    fsyncPath(temporary / file);
  }
  writeFileChecked(temporary / CheckpointFiles::kManifest, formatManifest(manifest));
  fsyncPath(temporary / CheckpointFiles::kManifest);
  fsyncPath(temporary);
}

}  // namespace

std::string writeCheckpoint(const RunDirectory& run, const TrainingPosition& position, train::GanTrainer& trainer,
                            const Config& config, const std::function<void()>& after_each_file) {
  return writeCheckpoint(run, takeSnapshot(position, trainer, config), after_each_file);
}

std::string writeCheckpoint(const RunDirectory& run, const CheckpointSnapshot& snapshot,
                            const std::function<void()>& after_each_file) {
  const TrainingPosition& position = snapshot.position;
  const fs::path root = run.checkpoints();
  const fs::path final_dir = run.checkpoint(position.step);
  const std::string name = final_dir.filename().string();
  const fs::path temporary = root / ("." + name + ".tmp");
  try {
    fs::create_directories(root);
    fs::remove_all(temporary);
    fs::create_directories(temporary);
    writeCheckpointFiles(temporary, snapshot, after_each_file);
    fs::remove_all(final_dir);
    fs::rename(temporary, final_dir);
    fsyncPath(root);
  } catch (const std::exception& e) {
    // Nothing half-written stays behind, and `latest` still names the previous checkpoint.
    std::error_code ignored;
    fs::remove_all(temporary, ignored);
    GAN_FAIL("checkpoint of step ", position.step, " not written, the previous one stays the latest: ",
             firstLine(e.what()));
  }

  // `latest` moves only once the new directory is complete and durable.
  try {
    const fs::path link_temporary = root / ".latest.tmp";
    fs::remove(link_temporary);
    fs::create_directory_symlink(name, link_temporary);
    fs::rename(link_temporary, run.latestCheckpointLink());
    fsyncPath(root);
  } catch (const std::exception& e) {
    GAN_FAIL("checkpoint of step ", position.step, " written to ", final_dir.string(),
             " but 'latest' could not be moved to it: ", firstLine(e.what()));
  }
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

namespace {

void removeLeftovers(const RunDirectory& run) {
  std::error_code error;
  const auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator entry(run.checkpoints(), error), end; !error && entry != end; entry.increment(error)) {
    const std::string name = entry->path().filename().string();
    const bool unfinished = name == ".latest.tmp" || (name.rfind(".step_", 0) == 0 && name.size() > 4 &&
                                                      name.compare(name.size() - 4, 4, ".tmp") == 0);
    std::error_code ignored;
    if (unfinished) {
      fs::remove_all(entry->path(), ignored);
    } else if (name.rfind(kStorageProbePrefix, 0) == 0) {
      const auto written = fs::last_write_time(entry->path(), ignored);
      if (!ignored && now - written > std::chrono::minutes(10)) fs::remove(entry->path(), ignored);
    }
  }
}

}  // namespace

void pruneCheckpoints(const RunDirectory& run, int64_t keep_last) {
  removeLeftovers(run);
  if (keep_last <= 0) return;
  const auto checkpoints = listCheckpoints(run);
  const std::string latest = latestCheckpoint(run);
  for (size_t i = static_cast<size_t>(keep_last); i < checkpoints.size(); ++i) {
    if (!latest.empty() && fs::equivalent(checkpoints[i], latest)) continue;
    fs::remove_all(checkpoints[i]);
  }
}

bool VerifiedCheckpoint::lists(const std::string& file) const {
  return std::find(files.begin(), files.end(), file) != files.end();
}

namespace {

// state.json is small; a larger one is not ours.
constexpr uintmax_t kMaxStateBytes = 4 << 20;

// The size of a regular file (not a link, device or directory), or an error naming it.
uintmax_t regularFileSize(const fs::path& path, const std::string& what) {
  std::error_code error;
  const auto status = fs::symlink_status(path, error);
  GAN_CHECK(!error && fs::exists(status), path.string(), ": ", what);
  GAN_CHECK(fs::is_regular_file(status), path.string(), ": not a regular file");
  const uintmax_t size = fs::file_size(path, error);
  GAN_CHECK(!error, path.string(), ": cannot read its size (", error.message(), ")");
  return size;
}

}  // namespace

VerifiedCheckpoint verifyCheckpoint(const std::string& checkpoint_dir) {
  const fs::path dir(checkpoint_dir);
  GAN_CHECK(fs::is_directory(dir), "checkpoint '", checkpoint_dir, "' is not a directory");
  const fs::path manifest_path = dir / CheckpointFiles::kManifest;
  const std::string manifest_name = manifest_path.string();
  const uintmax_t manifest_size = regularFileSize(manifest_path, "missing (incomplete checkpoint)");
  GAN_CHECK(manifest_size <= kMaxManifestBytes, manifest_name, ": ", manifest_size, " bytes, more than a MANIFEST holds");
  VerifiedCheckpoint verified;
  verified.dir = checkpoint_dir;
  for (const auto& entry : parseManifest(readFileContents(manifest_name), manifest_name)) {
    const fs::path path = dir / entry.file;
    const uintmax_t actual = regularFileSize(path, "listed in MANIFEST but missing");
    GAN_CHECK(actual == entry.size, path.string(), ": size ", actual, " differs from MANIFEST (", entry.size, ")");
    const std::string bytes = readFileContents(path.string());
    GAN_CHECK(bytes.size() == entry.size, path.string(), ": changed while it was read");
    GAN_CHECK(crc32Of(bytes) == entry.crc32, path.string(), ": checksum mismatch (corrupt file)");
    verified.files.push_back(entry.file);
  }
  for (const char* required : kRequiredFiles) {
    GAN_CHECK(verified.lists(required), manifest_name, ": does not list ", required, " (incomplete checkpoint)");
  }
  const fs::path state_path = CheckpointFiles::stateOf(dir);
  GAN_CHECK(regularFileSize(state_path, "missing") <= kMaxStateBytes, state_path.string(), ": larger than ",
            kMaxStateBytes, " bytes");
  try {
    verified.state = nlohmann::json::parse(readFileContents(state_path.string()));
    const int version = verified.state.at("format_version").get<int>();
    GAN_CHECK(version >= 1 && version <= kCheckpointFormatVersion, state_path.string(), ": format version ", version,
              ", this build reads versions 1 to ", kCheckpointFormatVersion);
  } catch (const nlohmann::json::exception& e) {
    GAN_FAIL(state_path.string(), ": malformed (", e.what(), ")");
  }
  return verified;
}

CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, train::GanTrainer& trainer) {
  return loadCheckpoint(verifyCheckpoint(checkpoint_dir), trainer);
}

CheckpointContents loadCheckpoint(const VerifiedCheckpoint& checkpoint, train::GanTrainer& trainer) {
  const fs::path dir(checkpoint.dir);
  const std::string state_name = CheckpointFiles::stateOf(dir).string();
  CheckpointContents contents;
  contents.state = checkpoint.state;
  try {
    contents.position = readPosition(contents.state, state_name);
    const auto& arch = contents.state.at("architecture");
    GAN_CHECK(arch.at("generator").get<std::string>() == models::architectureSignature(trainer.generator()),
              state_name, ": the generator's architecture differs from the configured model");
    GAN_CHECK(arch.at("discriminator").get<std::string>() == models::architectureSignature(trainer.discriminator()),
              state_name, ": the discriminator's architecture differs from the configured model");
  } catch (const nlohmann::json::exception& e) {
    GAN_FAIL(state_name, ": malformed (", e.what(), ")");
  }
  // Only files MANIFEST vouched for are read.
  auto verifiedFile = [&](const std::string& file) {
    GAN_CHECK(checkpoint.lists(file), (dir / file).string(), ": not listed in MANIFEST (unverified file)");
    return dir / file;
  };
  for (parallel::NetworkState* network : trainer.networkStates()) {
    for (const auto part : {parallel::StatePart::Parameters, parallel::StatePart::Optimizer}) {
      loadPart(*network, part, verifiedFile(fileOf(*network, part)));
    }
    const std::string ema_file = fileOf(*network, parallel::StatePart::Ema);
    GAN_CHECK(checkpoint.lists(ema_file) || !fs::exists(dir / ema_file), (dir / ema_file).string(),
              ": present but not listed in MANIFEST (unverified file)");
    // The gradient reduction's own state (PowerSGD's warm start and error feedback); a checkpoint
    // of another scheme has none, and the reduction then starts afresh (an allowed change of
    // --comm.compress).
    if (keepsReductionState(*network)) {
      const std::string reduction_file = fileOf(*network, parallel::StatePart::Reduction);
      GAN_CHECK(checkpoint.lists(reduction_file) || !fs::exists(dir / reduction_file),
                (dir / reduction_file).string(), ": present but not listed in MANIFEST (unverified file)");
      if (checkpoint.lists(reduction_file)) {
        loadPart(*network, parallel::StatePart::Reduction, dir / reduction_file, contents.position.world_size);
      }
    }
    if (!network->hasEma()) continue;
    contents.ema_restored = checkpoint.lists(ema_file);
    if (contents.ema_restored) {
      loadPart(*network, parallel::StatePart::Ema, dir / ema_file);
    } else {
      network->resetEma();  // the checkpoint's run kept no EMA: start one here
    }
  }
  return contents;
}

}  // namespace gan::checkpoint
