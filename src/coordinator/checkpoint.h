// Checkpoints: everything to continue training, written atomically by rank 0.
//
//   OUT/checkpoints/step_00001234/  model_G.pt model_D.pt optim_G.pt optim_D.pt state.json MANIFEST
//   OUT/checkpoints/latest -> step_00001234   (replaced last, after fsync + rename)
//
// Files are written into a hidden temporary directory, flushed, and the directory is renamed
// into place; a crash at any point leaves either the old or the new checkpoint, never half.
// model_*.pt are LibTorch archives in torch::save(module) layout.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "common/config.h"
#include "train/gan_trainer.h"

namespace gan::coordinator {

constexpr int kCheckpointFormatVersion = 1;

struct CheckpointContents {
  int64_t step = 0;  // number of completed training steps
  int world_size = 1;
  nlohmann::json state;  // the parsed state.json
};

// Writes the checkpoint of `step` under `output_dir`/checkpoints; returns its directory.
std::string writeCheckpoint(const std::string& output_dir, int64_t step, train::GanTrainer& trainer,
                            const Config& config, int world_size);

// Directory `latest` points to, or empty when there is none.
std::string latestCheckpoint(const std::string& output_dir);

// Verifies sizes and checksums, format version and architecture, then loads parameters and
// optimizer state into `trainer`. Throws gan::Error naming the file or tensor that is wrong.
CheckpointContents loadCheckpoint(const std::string& checkpoint_dir, train::GanTrainer& trainer);

}  // namespace gan::coordinator
