#include "datasets/noise_tensors.h"

#include "data/latent_noise.h"

namespace gan::datasets {
using namespace data;  // the torch-free readers, packed files and streams this folder builds on
namespace {
// copy=true: the tensor must own its memory once `values` goes out of scope.
torch::Tensor ownedTensor(std::vector<float>& values, torch::IntArrayRef shape, const torch::Device& device) {
  return torch::from_blob(values.data(), shape, torch::kFloat32).to(device, /*non_blocking=*/false, /*copy=*/true);
}
}  // namespace

torch::Tensor latentNoiseTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows, int64_t latent_dim,
                                const torch::Device& device) {
  auto noise = latentNoiseRows(seed, step, first_row, rows, latent_dim);
  return ownedTensor(noise, {rows, latent_dim}, device);
}

torch::Tensor mixingWeightTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                                 const torch::Device& device) {
  auto weights = mixingWeightRows(seed, step, first_row, rows);
  return ownedTensor(weights, {rows}, device);
}

torch::Tensor classLabelTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows,
                               const std::vector<int64_t>& class_counts, const torch::Device& device,
                               int64_t rows_per_draw) {
  auto labels = classLabelRows(seed, step, first_row, rows, class_counts, rows_per_draw);
  return torch::from_blob(labels.data(), {rows}, torch::kInt64).to(device, /*non_blocking=*/false, /*copy=*/true);
}

ClassGridInputs classGridInputs(const torch::Tensor& column_noise, int64_t first_class, int64_t classes) {
  const int64_t cols = column_noise.size(0);
  auto labels = torch::arange(first_class, first_class + classes, torch::dtype(torch::kInt64).device(column_noise.device()));
  return {column_noise.repeat({classes, 1}), labels.repeat_interleave(cols)};
}

torch::Tensor samplingNoise(int64_t seed, int64_t n, int64_t latent_dim) {
  return latentNoiseTensor(static_cast<uint64_t>(seed), kSamplingNoiseStep, 0, n, latent_dim);
}

torch::Tensor interpolationNoise(int64_t seed, int64_t rows, int64_t steps, int64_t latent_dim) {
  auto ends = samplingNoise(seed, 2 * rows, latent_dim).view({rows, 2, latent_dim});
  auto t = torch::linspace(0, 1, steps).view({1, steps, 1});
  auto from = ends.select(1, 0).unsqueeze(1), to = ends.select(1, 1).unsqueeze(1);
  return (from * (1 - t) + to * t).reshape({rows * steps, latent_dim});
}

}  // namespace gan::datasets
