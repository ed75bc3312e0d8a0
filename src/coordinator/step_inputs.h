// What one rank feeds into training step `step`: its rows of the global batch and their noise.
// The single recipe used by training, benchmarks and the invariance tests.
#pragma once

#include <torch/torch.h>

#include "data/image_dataset.h"
#include "data/sample_order.h"

namespace gan::coordinator {

struct StepInputs {
  torch::Tensor real;  // (rows, sample_dim) in [-1, 1]
  torch::Tensor z;     // (rows, latent_dim)
};

StepInputs stepInputs(const data::ImageDataset& dataset, data::GlobalSampleOrder& order, data::BatchRows rows,
                      uint64_t seed, int64_t step, int64_t latent_dim, const torch::Device& device);

// Noise rows as a tensor on `device` (see train::latentNoiseRows).
torch::Tensor noiseTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows, int64_t latent_dim,
                          const torch::Device& device);

}  // namespace gan::coordinator
