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

namespace gan::train {

// One uniform [0, 1) value per row of the global batch of `step`, from its own stream (not the
// latent noise's): the real/fake mixing weights of the WGAN-GP penalty. Row g's value depends
// only on (seed, step, g), like the noise.
std::vector<float> mixingWeightRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows);

}  // namespace gan::train

namespace gan::train {
// Noise stream of the periodic evaluation: the same generated rows at every evaluation, so
// successive values measure the generator, not a new draw.
constexpr int64_t kEvaluationNoiseStep = -3;
}  // namespace gan::train
