#include "coordinator/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

#include "common/checkpoint_manifest.h"
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
    case train::StatePart::Compression: return "powersgd_" + network.name() + ".pt";
  }
  GAN_FAIL("unknown state part");
}

// The tensor of powersgd_*.pt that holds the per-rank rows (not replicated, so not in the list).
const char* const kPerRankRows = "error_feedback";

// The first line of a message: LibTorch's errors carry a backtrace after it.
std::string firstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

void fsyncPath(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  GAN_CHECK(fd >= 0, path.string(), ": cannot open to flush (", std::strerror(errno), ")");
  const int rc = ::fsync(fd);
  const int fsync_errno = errno;
  const int closed = ::close(fd);
  GAN_CHECK(rc == 0 && closed == 0, path.string(), ": fsync failed (", std::strerror(rc != 0 ? fsync_errno : errno), ")");
}

// Writes `bytes` to `path` and checks every step (a full disk shows at write, flush or close).
void writeFileChecked(const fs::path& path, const std::string& bytes) {
  errno = 0;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  GAN_CHECK(out, path.string(), ": cannot create (", std::strerror(errno), ")");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.flush();
  out.close();
  GAN_CHECK(out, path.string(), ": write failed (", errno != 0 ? std::strerror(errno) : "stream error", ")");
}

uint32_t crc32Of(const std::string& bytes) {
  // crc32_z takes a size_t length: checkpoint files may exceed 4 GiB.
  return static_cast<uint32_t>(crc32_z(0L, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

// The archive is serialised in memory and written by us: LibTorch's own file writer ends the
// process (an exception from a destructor) when the disk fills, where we must fail cleanly.
void saveArchive(torch::serialize::OutputArchive& archive, const fs::path& path) {
  std::string bytes;
  archive.save_to([&bytes](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  writeFileChecked(path, bytes);
}

// Module::save's layout (own parameters, own buffers, then one nested archive per child), with
// every tensor copied to the CPU first: an archive records each tensor's device, and a GPU run's
// checkpoint must load on a CPU-only build (gan_sample, gan_eval, a resume on CPU ranks).
// The copy keeps requires_grad, which the archive records, so a CPU run's files stay as before.
torch::Tensor cpuCopyOf(const torch::Tensor& tensor) {
  auto copy = tensor.detach().cpu();
  copy.set_requires_grad(tensor.requires_grad());
  return copy;
}

void writeModuleOnCpu(const torch::nn::Module& module, torch::serialize::OutputArchive& archive) {
  for (const auto& parameter : module.named_parameters(/*recurse=*/false)) {
    archive.write(parameter.key(), cpuCopyOf(parameter.value()));
  }
  for (const auto& buffer : module.named_buffers(/*recurse=*/false)) {
    archive.write(buffer.key(), cpuCopyOf(buffer.value()), /*is_buffer=*/true);
  }
  for (const auto& child : module.named_children()) {
    if (!child.value()->is_serializable()) continue;
    torch::serialize::OutputArchive child_archive(archive.compilation_unit());
    writeModuleOnCpu(*child.value(), child_archive);
    archive.write(child.key(), child_archive);
  }
}

void saveModule(const torch::nn::Module& module, const fs::path& path) {
  torch::serialize::OutputArchive archive;
  writeModuleOnCpu(module, archive);
  saveArchive(archive, path);
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
  // Every rank's error feedback, one row per rank, as gathered just before this write.
  if (part == train::StatePart::Compression) archive.write(kPerRankRows, network.takeGatheredPerRankState());
  saveArchive(archive, path);
}

// Reads "fc1.weight" from the nested archive layout module.save() produces.
torch::Tensor readNested(torch::serialize::InputArchive& archive, const std::string& dotted,
                         const std::string& file) {
  const auto dot = dotted.find('.');
  torch::Tensor tensor;
  if (dot == std::string::npos) {
    bool found = false;
    try {
      found = archive.try_read(dotted, tensor);
    } catch (const std::exception& e) {
      GAN_FAIL(file, ": tensor '", dotted, "' is unreadable (", firstLine(e.what()), ")");
    }
    GAN_CHECK(found, file, ": tensor '", dotted, "' is missing");
    return tensor;
  }
  torch::serialize::InputArchive child;
  bool found = false;
  try {
    found = archive.try_read(dotted.substr(0, dot), child);
  } catch (const std::exception& e) {
    GAN_FAIL(file, ": module '", dotted.substr(0, dot), "' is unreadable (", firstLine(e.what()), ")");
  }
  GAN_CHECK(found, file, ": module '", dotted.substr(0, dot), "' is missing");
  return readNested(child, dotted.substr(dot + 1), file);
}

void loadInto(torch::Tensor& destination, const torch::Tensor& stored, const std::string& what) {
  GAN_CHECK(stored.scalar_type() == destination.scalar_type(), what, " has type ", stored.scalar_type(),
            " in the checkpoint but ", destination.scalar_type(), " in the model");
  GAN_CHECK(stored.sizes() == destination.sizes(), what, " has shape ", stored.sizes(),
            " in the checkpoint but ", destination.sizes(), " in the model");
  torch::NoGradGuard no_grad;
  destination.copy_(stored);
}

// Loads every tensor of `part` from `path` into the live state of `network`.
void loadPart(train::NetworkState& network, train::StatePart part, const fs::path& path) {
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
  if (part == train::StatePart::Compression) {
    network.setLoadedPerRankState(readNested(archive, kPerRankRows, path.string()),
                                  path.string() + ": tensor '" + kPerRankRows + "'");
  }
}

}  // namespace

namespace {

// Writes every file of the checkpoint into `temporary` and makes them durable; returns the
// MANIFEST-listed names.
void writeCheckpointFiles(const fs::path& temporary, const TrainingPosition& position, train::GanTrainer& trainer,
                          const Config& config, const std::function<void()>& after_each_file) {
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
  for (train::NetworkState* network : trainer.networkStates()) {
    if (!network->hasPerRankState()) continue;
    files.push_back(fileOf(*network, train::StatePart::Compression));
    savePart(*network, train::StatePart::Compression, temporary / files.back());
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
  if (position.ada) {
    const auto& ada = *position.ada;
    state["ada"] = {{"p", ada.state.p},
                    {"sign_sum", ada.state.sign_sum},
                    {"count", ada.state.count},
                    {"last_rt", ada.state.last_rt},
                    {"pending", ada.pending},
                    {"pending_sign_sum", ada.pending_sign_sum},
                    {"pending_rows", ada.pending_rows}};
  }
  nlohmann::json config_json;
  for (const auto& [key, value] : config.entries()) config_json[key] = value;
  state["config"] = config_json;
  writeFileChecked(temporary / CheckpointFiles::kState, state.dump(2) + "\n");
  wrote();

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
  const fs::path root = run.checkpoints();
  const fs::path final_dir = run.checkpoint(position.step);
  const std::string name = final_dir.filename().string();
  const fs::path temporary = root / ("." + name + ".tmp");
  try {
    fs::create_directories(root);
    fs::remove_all(temporary);
    fs::create_directories(temporary);
    writeCheckpointFiles(temporary, position, trainer, config, after_each_file);
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

void pruneCheckpoints(const RunDirectory& run, int64_t keep_last) {
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
    auto& position = contents.position;
    position.step = contents.state.at("step").get<int64_t>();
    position.world_size = contents.state.at("world_size").get<int>();
    position.global_batch = contents.state.at("global_batch").get<int64_t>();
    position.steps_per_epoch = contents.state.at("steps_per_epoch").get<int64_t>();
    position.seed = contents.state.at("seed").get<int64_t>();
    position.sample_shape = contents.state.at("sample_shape").get<std::vector<int64_t>>();
    GAN_CHECK(position.step >= 0 && position.world_size >= 1 && position.global_batch >= 1 &&
                  position.steps_per_epoch >= 0,
              state_name, ": impossible position (step ", position.step, ", world size ", position.world_size,
              ", global batch ", position.global_batch, ")");
    if (const auto ada = contents.state.find("ada"); ada != contents.state.end()) {
      AdaCheckpoint restored;
      restored.state.p = ada->at("p").get<double>();
      restored.state.sign_sum = ada->at("sign_sum").get<int64_t>();
      restored.state.count = ada->at("count").get<int64_t>();
      restored.state.last_rt = ada->at("last_rt").get<double>();
      restored.pending = ada->at("pending").get<bool>();
      restored.pending_sign_sum = ada->at("pending_sign_sum").get<int64_t>();
      restored.pending_rows = ada->at("pending_rows").get<int64_t>();
      GAN_CHECK(restored.state.p >= 0 && restored.state.p <= 1 && restored.state.count >= 0 &&
                    std::abs(restored.state.sign_sum) <= restored.state.count && restored.pending_rows >= 0 &&
                    std::abs(restored.pending_sign_sum) <= restored.pending_rows &&
                    std::abs(restored.state.last_rt) <= 1,
                state_name, ": impossible augmentation state (p ", restored.state.p, ", ", restored.state.sign_sum,
                " signs over ", restored.state.count, " images)");
      position.ada = restored;
    }
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
  for (train::NetworkState* network : trainer.networkStates()) {
    for (const auto part : {train::StatePart::Parameters, train::StatePart::Optimizer}) {
      loadPart(*network, part, verifiedFile(fileOf(*network, part)));
    }
    const std::string ema_file = fileOf(*network, train::StatePart::Ema);
    GAN_CHECK(checkpoint.lists(ema_file) || !fs::exists(dir / ema_file), (dir / ema_file).string(),
              ": present but not listed in MANIFEST (unverified file)");
    // PowerSGD's warm start and error feedback; a checkpoint of another mode has none, and the
    // compression then starts afresh (an allowed change of --comm.compress).
    const std::string compression_file = fileOf(*network, train::StatePart::Compression);
    GAN_CHECK(checkpoint.lists(compression_file) || !fs::exists(dir / compression_file),
              (dir / compression_file).string(), ": present but not listed in MANIFEST (unverified file)");
    if (network->hasPerRankState() && checkpoint.lists(compression_file)) {
      loadPart(*network, train::StatePart::Compression, dir / compression_file);
    }
    if (!network->hasEma()) continue;
    contents.ema_restored = checkpoint.lists(ema_file);
    if (contents.ema_restored) {
      loadPart(*network, train::StatePart::Ema, dir / ema_file);
    } else {
      network->resetEma();  // the checkpoint's run kept no EMA: start one here
    }
  }
  return contents;
}

}  // namespace gan::coordinator
