// A counter-based random stream: the n-th draw is splitmix64(key + n * golden), so a stream
// needs no generator state to set up (a Mersenne Twister costs more to seed than a row of noise
// costs to draw) and its values are the same with every library version, which the
// cross-world-size and resume guarantees rely on.
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>

#include "common/splitmix.h"

namespace gan {

struct CounterStream {
  uint64_t key;
  uint64_t counter = 0;

  // Uniform in [0, 1) from 53 random bits.
  double uniform() {
    counter += 0x9e3779b97f4a7c15ULL;
    return double(splitmix64(key + counter) >> 11) * (1.0 / 9007199254740992.0);
  }
  // Uniform in (-1, 1).
  double uniformSymmetric() { return 2.0 * uniform() - 1.0; }

  // Two independent standard normals by Marsaglia's polar method: one log and one sqrt, no
  // trigonometry (3x cheaper than Box-Muller here).
  std::pair<double, double> normalPair() {
    double u, v, s;
    do {
      u = uniformSymmetric();
      v = uniformSymmetric();
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double factor = std::sqrt(-2.0 * std::log(s) / s);
    return {u * factor, v * factor};
  }
};

// The key of the stream for (seed, step, row): each coordinate changes every value.
inline uint64_t streamKey(uint64_t seed, int64_t step, int64_t row) {
  return splitmix64(splitmix64(seed) ^ splitmix64(uint64_t(step) * 0x100000001b3ULL) ^ uint64_t(row));
}

}  // namespace gan
