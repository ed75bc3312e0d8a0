// Checkpoints: everything to continue training, written atomically by rank 0. This file is the
// checkpoint's layout: which files it holds, how they are written, listed, pruned, verified and
// loaded. Durable writing is format/durable_file.h, the archives tensor_archive.h, MANIFEST and
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

// Writes the checkpoint of position.step into the run directory; returns its directory.
// `after_each_file`, when set, is called each time one file of the checkpoint is complete
// (the fault-injection tests kill the process there).
std::string writeCheckpoint(const RunDirectory& run, const TrainingPosition& position, train::GanTrainer& trainer,
                            const Config& config, const std::function<void()>& after_each_file = {});

// Directory `latest` points to, or empty when there is none.
std::string latestCheckpoint(const RunDirectory& run);

// Complete checkpoint directories of the run, newest step first.
std::vector<std::string> listCheckpoints(const RunDirectory& run);

// Removes all but the newest `keep_last` checkpoints (0 keeps everything).
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
