#include "data/latent_noise.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "common/error.h"

#include "common/counter_stream.h"

namespace gan::data {

std::vector<float> latentNoiseRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                   int64_t latent_dim) {
  std::vector<float> noise(static_cast<size_t>(rows * latent_dim));
  for (int64_t r = 0; r < rows; ++r) {
    CounterStream stream{streamKey(seed, step, first_row + r)};
    float* out = &noise[static_cast<size_t>(r * latent_dim)];
    for (int64_t i = 0; i < latent_dim; i += 2) {
      const auto [a, b] = stream.normalPair();
      out[i] = static_cast<float>(a);
      if (i + 1 < latent_dim) out[i + 1] = static_cast<float>(b);
    }
  }
  return noise;
}

std::vector<float> mixingWeightRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows) {
  // A different seed word keeps these streams apart from the latent noise of the same rows.
  const uint64_t mixing_seed = splitmix64(seed ^ 0x6d6978696e67ULL);
  std::vector<float> weights(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    weights[size_t(r)] = static_cast<float>(CounterStream{streamKey(mixing_seed, step, first_row + r)}.uniform());
  }
  return weights;
}

std::vector<int64_t> classLabelRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                    const std::vector<int64_t>& class_counts, int64_t rows_per_draw) {
  GAN_CHECK(rows_per_draw >= 1, "rows sharing a class label must be at least 1, got ", rows_per_draw);
  std::vector<int64_t> cumulative(class_counts.size());
  std::partial_sum(class_counts.begin(), class_counts.end(), cumulative.begin());
  GAN_CHECK(!cumulative.empty() && cumulative.back() > 0 &&
                std::all_of(class_counts.begin(), class_counts.end(), [](int64_t n) { return n >= 0; }),
            "drawing class labels needs at least one image with a label");
  const uint64_t label_seed = splitmix64(seed ^ 0x6c6162656cULL);  // apart from the noise of the same rows
  const auto total = static_cast<uint64_t>(cumulative.back());
  std::vector<int64_t> labels(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    // An integer in [0, total) (the modulo bias is below total / 2^64), then its class: the
    // first whose cumulative count exceeds it. Integers, so every machine draws the same.
    const int64_t row = first_row + r;
    const auto pick = static_cast<int64_t>(splitmix64(streamKey(label_seed, step, row - row % rows_per_draw)) % total);
    labels[size_t(r)] = std::upper_bound(cumulative.begin(), cumulative.end(), pick) - cumulative.begin();
  }
  return labels;
}

}  // namespace gan::data
