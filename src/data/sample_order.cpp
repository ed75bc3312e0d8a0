#include "data/sample_order.h"

#include <random>

#include "common/error.h"
#include "common/splitmix.h"

namespace gan::data {
namespace {

// Uniform integer in [0, bound) by rejection, so the result is unbiased and does not depend
// on a standard library's distribution implementation (std::uniform_int_distribution does).
uint64_t uniformBelow(std::mt19937_64& engine, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t draw;
  do {
    draw = engine();
  } while (draw >= limit);
  return draw % bound;
}

}  // namespace

BatchRows rowsForRank(int rank, int world_size, int64_t per_rank_batch) {
  GAN_CHECK(rank >= 0 && rank < world_size, "rank ", rank, " outside world of size ", world_size);
  return {int64_t(rank) * per_rank_batch, per_rank_batch};
}

std::vector<int64_t> epochPermutation(int64_t n, uint64_t seed, int64_t epoch) {
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  std::mt19937_64 engine(splitmix64(seed ^ splitmix64(uint64_t(epoch) + 0x5851f42d4c957f2dULL)));
  for (int64_t i = n - 1; i > 0; --i) {
    const int64_t j = int64_t(uniformBelow(engine, uint64_t(i) + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

GlobalSampleOrder::GlobalSampleOrder(int64_t dataset_size, int64_t global_batch, uint64_t seed)
    : dataset_size_(dataset_size), global_batch_(global_batch), seed_(seed) {
  GAN_CHECK(global_batch > 0, "global batch must be positive, got ", global_batch);
  GAN_CHECK(dataset_size >= global_batch, "the data set has ", dataset_size,
            " samples, fewer than one global batch of ", global_batch,
            " (ranks x --train.batch_size)");
  steps_per_epoch_ = dataset_size / global_batch;
}

std::vector<int64_t> GlobalSampleOrder::indicesForStep(int64_t step, BatchRows rows) {
  GAN_CHECK(step >= 0, "step must be non-negative, got ", step);
  GAN_CHECK(rows.first >= 0 && rows.count >= 0 && rows.first + rows.count <= global_batch_,
            "rows [", rows.first, ", ", rows.first + rows.count, ") outside the global batch of ",
            global_batch_);
  const int64_t epoch = epochOfStep(step);
  if (epoch != cached_epoch_) {
    cached_order_ = epochPermutation(dataset_size_, seed_, epoch);
    cached_epoch_ = epoch;
  }
  const int64_t base = (step % steps_per_epoch_) * global_batch_ + rows.first;
  return std::vector<int64_t>(cached_order_.begin() + base, cached_order_.begin() + base + rows.count);
}

}  // namespace gan::data
