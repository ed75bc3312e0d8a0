// Checkpoints: everything to continue training, written atomically by rank 0.
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
#include <string>
#include <vector>

#include "common/config.h"
#include "common/run_directory.h"
#include "train/gan_trainer.h"

namespace gan::coordinator {

// 2: optional ema_G.pt; sample_shape is {channels, height, width} or {features}. Version 1
// ({height, width}, no EMA) is still read.
constexpr int kCheckpointFormatVersion = 2;

// Where training stands. The data order and the noise are functions of (seed, step), so these
// numbers are the whole RNG state: no generator state needs saving.
struct TrainingPosition {
  int64_t step = 0;  // completed training steps
  int world_size = 1;
  int64_t global_batch = 0;
  int64_t steps_per_epoch = 0;
  int64_t seed = 0;
  std::vector<int64_t> sample_shape;  // e.g. {1, 28, 28}; {2} for points
};

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

// Checks MANIFEST sizes and checksums and the format version; returns the parsed state.json.
nlohmann::json verifyCheckpoint(const std::string& checkpoint_dir);

// Verifies sizes and checksums, format version and architecture, then loads parameters and
// optimizer state into `trainer`. Throws gan::Error naming the file or tensor that is wrong.
CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, train::GanTrainer& trainer);
// The same for a checkpoint whose files verifyCheckpoint() has just checked (`verified_state`
// is what it returned), so they are not read and checksummed twice.
CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, const nlohmann::json& verified_state,
                                  train::GanTrainer& trainer);

}  // namespace gan::coordinator
