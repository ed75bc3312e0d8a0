#include "data/latent_noise.h"

#include <cmath>

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

}  // namespace gan::data
