// Where training stands, and its one serialiser. The data order, the noise and the augmentations'
// choices are functions of (seed, step), so these numbers are the whole RNG state: no generator
// state needs saving. state.json holds the position in this form, and a resume hands it from
// rank 0 to every rank in the same form.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "datasets/data_fingerprint.h"
#include "train/ada_controller.h"

namespace gan::checkpoint {

// Adaptive augmentation's state at a checkpoint: its strength and what it gathered towards the
// next adjustment, plus the global sums of the checkpoint's own step, which were reduced but not
// yet acted on (the step agreement acts one boundary later), so a resumed run moves p exactly
// as the uninterrupted one.
struct AdaCheckpoint {
  train::AdaState state;
  bool pending = false;  // false when the checkpoint's step had no reduction (none happened yet)
  int64_t pending_sign_sum = 0;
  int64_t pending_rows = 0;
};

struct TrainingPosition {
  int64_t step = 0;  // completed training steps
  int world_size = 1;
  int64_t global_batch = 0;
  int64_t steps_per_epoch = 0;
  int64_t seed = 0;
  std::vector<int64_t> sample_shape;  // e.g. {1, 28, 28}; {2} for points
  // Conditional models: images per class of the training set (what generated rows' classes are
  // drawn from, and how many classes the networks have); empty for unconditional ones.
  std::vector<int64_t> class_counts;
  std::optional<AdaCheckpoint> ada;   // runs with adaptive augmentation
  // The run this position belongs to: its start in microseconds since the epoch, drawn by rank 0
  // when a run starts afresh and kept by every resume, so later runs have larger ids (0: written
  // before runs were told apart). A resume never continues another run than the newest on offer.
  int64_t run_id = 0;
  // What the run trains on (absent in checkpoints from before fingerprints): a resume on other
  // data is refused unless --data.allow_changed.
  std::optional<datasets::DataFingerprint> data;
};

// The position's fields (step, world_size, global_batch, steps_per_epoch, epoch,
// position_in_epoch, seed, sample_shape, class_counts, ada) added to `json`. Doubles are written with enough
// digits to read back bit for bit.
void writePosition(const TrainingPosition& position, nlohmann::json& json);
// Reads what writePosition wrote, as untrusted input: throws gan::Error naming `source` for a
// missing field or an impossible value.
TrainingPosition readPosition(const nlohmann::json& json, const std::string& source);
// The 'class_counts' field alone (empty when absent), checked the same way.
std::vector<int64_t> readClassCounts(const nlohmann::json& json, const std::string& source);

}  // namespace gan::checkpoint
