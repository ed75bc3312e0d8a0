// The noise streams of latent_noise.h as tensors that own their memory, on `device`: the one
// conversion training, sampling and evaluation all use.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace gan::datasets {

// (rows, latent_dim) standard normals: latentNoiseRows(seed, step, first_row, rows, latent_dim).
torch::Tensor latentNoiseTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows, int64_t latent_dim,
                                const torch::Device& device = torch::kCPU);

// (rows) uniform [0, 1) values: mixingWeightRows(seed, step, first_row, rows).
torch::Tensor mixingWeightTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                 const torch::Device& device = torch::kCPU);

// (rows) int64 class labels: classLabelRows(seed, step, first_row, rows, class_counts, rows_per_draw).
torch::Tensor classLabelTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                               const std::vector<int64_t>& class_counts, const torch::Device& device = torch::kCPU,
                               int64_t rows_per_draw = 1);

// Inputs of a per-class picture: one row per class, one column per vector of `column_noise`
// (cols, latent_dim), the same noise down each column. z is (classes * cols, latent_dim), labels
// (classes * cols) int64, row-major: row r holds class first_class + r.
struct ClassGridInputs {
  torch::Tensor z, labels;
};
ClassGridInputs classGridInputs(const torch::Tensor& column_noise, int64_t first_class, int64_t classes);

// n latent vectors for `seed` (the same stream as training noise, so reproducible).
torch::Tensor samplingNoise(int64_t seed, int64_t n, int64_t latent_dim);

// rows x steps latent vectors: row r walks in `steps` equal steps from one random z to another.
torch::Tensor interpolationNoise(int64_t seed, int64_t rows, int64_t steps, int64_t latent_dim);

}  // namespace gan::datasets
