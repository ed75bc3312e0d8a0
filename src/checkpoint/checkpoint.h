// Checkpoints: everything to continue training, written atomically by one rank per storage of
// --output.dir (checkpoint_storage.h). This file is the checkpoint's layout: which files it holds,
// how they are taken from the trainer, written, listed, pruned, verified and loaded. Durable writing is format/durable_file.h, the archives tensor_archive.h, MANIFEST and
// state.json's configuration format/, the position training_position.h.
//
//   OUT/checkpoints/step_00001234/  model_G.pt model_D.pt optim_G.pt optim_D.pt [ema_G.pt] state.json MANIFEST
//   OUT/checkpoints/latest -> step_00001234   (replaced last, after fsync + rename)
//
// Files are written into a hidden temporary directory, flushed, and the directory is renamed
// into place; a crash at any point leaves either the old or the new checkpoint, never half.
// model_*.pt and ema_*.pt are LibTorch archives in torch::save(module) layout; optim_*.pt hold
// Adam's moments and step count. Which tensors each file holds is NetworkState's list.
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/config.h"
#include "common/run_directory.h"
#include "checkpoint/tensor_archive.h"
#include "checkpoint/training_position.h"
#include "train/gan_trainer.h"

namespace gan::checkpoint {

// 2: optional ema_G.pt; sample_shape is {channels, height, width} or {features}. Version 1
// ({height, width}, no EMA) is still read.
constexpr int kCheckpointFormatVersion = 2;

struct CheckpointContents {
  TrainingPosition position;
  nlohmann::json state;  // the parsed state.json
  bool ema_restored = false;  // the trainer keeps an EMA and the checkpoint held one
};

// A checkpoint in host memory: a copy of every tensor it holds, taken from the live trainer in
// one pause, so that serialising and writing it can overlap the next training steps (the
// trainer's own tensors change under a writer that reads them).
struct CheckpointSnapshot {
  // One file of the checkpoint: a module archive (model_*, ema_*) or named tensors (optim_*,
  // powersgd_*). MANIFEST lists the files in this order.
  struct File {
    std::string name;
    std::optional<ModuleTensors> module;
    NamedTensors tensors;
  };
  TrainingPosition position;
  std::vector<File> files;
  size_t state_after = 0;     // state.json follows the first state_after files (model_*, optim_*) in MANIFEST
  nlohmann::json state;       // state.json's contents
  int64_t bytes = 0;          // tensor bytes copied
};

// The pause: copies everything the checkpoint of position.step holds into host memory. The
// per-rank state (PowerSGD's rows) must have been gathered to this rank just before.
CheckpointSnapshot takeSnapshot(const TrainingPosition& position, train::GanTrainer& trainer, const Config& config);

// Writes a snapshot as the checkpoint of its step into the run directory; returns its directory.
// `after_each_file`, when set, is called each time one file of the checkpoint is complete
// (the fault-injection tests kill the process there). Safe on a thread of its own.
std::string writeCheckpoint(const RunDirectory& run, const CheckpointSnapshot& snapshot,
                            const std::function<void()>& after_each_file = {});
// Both in one go (tests, tools): the trainer is not used while it writes.
std::string writeCheckpoint(const RunDirectory& run, const TrainingPosition& position, train::GanTrainer& trainer,
                            const Config& config, const std::function<void()>& after_each_file = {});

// Directory `latest` points to, or empty when there is none.
std::string latestCheckpoint(const RunDirectory& run);

// Complete checkpoint directories of the run, newest step first.
std::vector<std::string> listCheckpoints(const RunDirectory& run);

// Removes all but the newest `keep_last` checkpoints (0 keeps everything), and what crashed
// runs left in the directory: unfinished ".step_N.tmp" directories and ".latest.tmp" (only the
// writer that prunes writes here, and its own write has finished), and storage probes older
// than ten minutes (a live job's probe lasts seconds).
void pruneCheckpoints(const RunDirectory& run, int64_t keep_last);

// A checkpoint whose MANIFEST, file sizes, checksums and state.json have been checked.
struct VerifiedCheckpoint {
  std::string dir;
  nlohmann::json state;            // the parsed state.json
  std::vector<std::string> files;  // the files MANIFEST lists (and that matched it)
  bool lists(const std::string& file) const;
};

// Checks a checkpoint without trusting it: MANIFEST entries must be plain file names of regular
// files with well-formed sizes and checksums, sizes are compared before anything is read, every
// required file must be listed, and state.json must parse with a known format version. Throws
// gan::Error naming the file that is wrong.
VerifiedCheckpoint verifyCheckpoint(const std::string& checkpoint_dir);

// Verifies, then loads parameters, optimizer state and the EMA into `trainer` after checking the
// position and architecture. Throws gan::Error naming the file or tensor that is wrong; every
// failure to read (LibTorch's archive reader, the file system) is reported the same way.
CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, train::GanTrainer& trainer);
// The same for a checkpoint verifyCheckpoint() has just checked (no second read and checksum).
CheckpointContents loadCheckpoint(const VerifiedCheckpoint& checkpoint, train::GanTrainer& trainer);

}  // namespace gan::checkpoint
