// The global sample order shared by all ranks, and each rank's slice of it.
//
// The order of epoch e is a permutation that depends only on (seed, e); the global batch of
// step s is its positions [p*B, p*B + B) with p the step's position in the epoch; rank r takes
// rows [r*b, r*b + b). Nothing depends on the rank layout beyond picking rows, which is what
// makes N ranks x b train exactly like 1 rank x N*b.
#pragma once

#include <cstdint>
#include <vector>

namespace gan::data {

// Rows [first, first + count) of a global batch.
struct BatchRows {
  int64_t first = 0;
  int64_t count = 0;
};

// This rank's rows of a global batch of world_size * per_rank_batch rows.
BatchRows rowsForRank(int rank, int world_size, int64_t per_rank_batch);

// Deterministic permutation of [0, n) for (seed, epoch); the same on every machine.
std::vector<int64_t> epochPermutation(int64_t n, uint64_t seed, int64_t epoch);

class GlobalSampleOrder {
 public:
  // Throws gan::Error when the data set is smaller than one global batch.
  GlobalSampleOrder(int64_t dataset_size, int64_t global_batch, uint64_t seed);

  // Full global batches per epoch; the remainder (size mod batch) is left out of that epoch
  // and, because every epoch is reshuffled, different samples are left out each time.
  int64_t stepsPerEpoch() const { return steps_per_epoch_; }
  int64_t epochOfStep(int64_t step) const { return step / steps_per_epoch_; }

  // Data set indices of `rows` of the global batch of `step` (steps count from 0).
  std::vector<int64_t> indicesForStep(int64_t step, BatchRows rows);

 private:
  int64_t dataset_size_;
  int64_t global_batch_;
  uint64_t seed_;
  int64_t steps_per_epoch_;
  int64_t cached_epoch_ = -1;
  std::vector<int64_t> cached_order_;
};

}  // namespace gan::data
