// The generator's input noise, defined per global sample so it does not depend on how the
// global batch is split across ranks.
#pragma once

#include <cstdint>
#include <vector>

namespace gan::train {

// Standard normal noise for rows [first_row, first_row + rows) of the global batch of `step`:
// row g's `latent_dim` values depend only on (seed, step, g). Row-major floats.
std::vector<float> latentNoiseRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                   int64_t latent_dim);

// Noise stream for purposes other than training steps (e.g. the fixed sample-grid noise).
constexpr int64_t kSampleGridNoiseStep = -1;

}  // namespace gan::train
