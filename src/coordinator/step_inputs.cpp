#include "coordinator/step_inputs.h"

#include "train/latent_noise.h"

namespace gan::coordinator {

torch::Tensor noiseTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows, int64_t latent_dim,
                          const torch::Device& device) {
  auto noise = train::latentNoiseRows(seed, step, first_row, rows, latent_dim);
  // copy=true: the tensor must own its memory once `noise` goes out of scope.
  return torch::from_blob(noise.data(), {rows, latent_dim}, torch::kFloat32)
      .to(device, /*non_blocking=*/false, /*copy=*/true);
}

StepInputs stepInputs(const data::ImageDataset& dataset, data::GlobalSampleOrder& order, data::BatchRows rows,
                      uint64_t seed, int64_t step, int64_t latent_dim, const torch::Device& device) {
  return {dataset.batch(order.indicesForStep(step, rows), device),
          noiseTensor(seed, step, rows.first, rows.count, latent_dim, device)};
}

}  // namespace gan::coordinator
