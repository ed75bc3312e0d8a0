// The generator's input noise and the other per-row random streams, defined per global sample
// so they do not depend on how the global batch is split across ranks. Row g of stream `step`
// depends only on (seed, step, g). Training steps count from 0; the negative step numbers below
// are the reserved streams of everything else, listed here so that none is used twice.
#pragma once

#include <cstdint>
#include <vector>

namespace gan::data {

// ---- Reserved streams (training uses steps 0, 1, 2, ...)
// The fixed noise of the training-time progress picture, so pictures of different steps compare.
constexpr int64_t kSampleGridNoiseStep = -1;
// gan_sample's grids, arrays and interpolations.
constexpr int64_t kSamplingNoiseStep = -2;
// The periodic evaluation: the same generated rows every time, so successive values measure
// the generator, not a new draw.
constexpr int64_t kEvaluationNoiseStep = -3;
// The uniform-noise reference images of the evaluation (a seed of their own, step 0).
constexpr uint64_t kNoiseReferenceSeed = 0x6e6f697365ULL;

// Standard normal noise for rows [first_row, first_row + rows) of the global batch of `step`:
// row g's `latent_dim` values depend only on (seed, step, g). Row-major floats.
std::vector<float> latentNoiseRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                   int64_t latent_dim);

// One uniform [0, 1) value per row of the global batch of `step`, from its own stream (not the
// latent noise's): the real/fake mixing weights of the WGAN-GP penalty. Row g's value depends
// only on (seed, step, g), like the noise.
std::vector<float> mixingWeightRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows);

// One class label per row of the global batch of `step`, drawn from the data's class frequencies
// (`class_counts[k]` images of class k), from a stream of its own: row g's label depends only on
// (seed, step, g) and the counts, so conditional generation keeps the world-size invariance.
// `rows_per_draw` > 1 gives global rows g - g % rows_per_draw ... of one group the same label (the
// mode-seeking term's pairs, which compare two z of one class); a group's label is the one its
// first row would draw alone.
std::vector<int64_t> classLabelRows(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                    const std::vector<int64_t>& class_counts, int64_t rows_per_draw = 1);

}  // namespace gan::data
