#include "train/latent_noise.h"

#include <cmath>
#include <random>

namespace gan::train {
namespace {
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Uniform in (0, 1]: 53 random bits, never 0 so log() is finite.
double uniformOpenZero(std::mt19937_64& engine) {
  return double((engine() >> 11) + 1) * (1.0 / 9007199254740992.0);
}
}  // namespace

std::vector<float> latentNoiseRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                   int64_t latent_dim) {
  std::vector<float> noise(static_cast<size_t>(rows * latent_dim));
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (int64_t r = 0; r < rows; ++r) {
    // Our own generator and Box-Muller transform: the values are the same on every platform
    // and library version, which the cross-world-size and resume guarantees rely on.
    std::mt19937_64 engine(mix(mix(seed) ^ mix(uint64_t(step) * 0x100000001b3ULL) ^ uint64_t(first_row + r)));
    float* out = &noise[static_cast<size_t>(r * latent_dim)];
    for (int64_t i = 0; i < latent_dim; i += 2) {
      const double radius = std::sqrt(-2.0 * std::log(uniformOpenZero(engine)));
      const double angle = kTwoPi * uniformOpenZero(engine);
      out[i] = static_cast<float>(radius * std::cos(angle));
      if (i + 1 < latent_dim) out[i + 1] = static_cast<float>(radius * std::sin(angle));
    }
  }
  return noise;
}

}  // namespace gan::train
