#include "coordinator/step_inputs.h"

#include "train/latent_noise.h"

namespace gan::coordinator {

StepRecipe StepRecipe::fromConfig(const Config& config) {
  StepRecipe recipe;
  recipe.seed = static_cast<uint64_t>(config.train.seed);
  recipe.latent_dim = config.model.latent_dim;
  recipe.d_steps = config.train.d_steps;
  recipe.mixing_weights = config.train.loss == "wgan-gp";
  return recipe;
}

torch::Tensor noiseTensor(uint64_t seed, int64_t step, int64_t first_row, int64_t rows, int64_t latent_dim,
                          const torch::Device& device) {
  auto noise = train::latentNoiseRows(seed, step, first_row, rows, latent_dim);
  // copy=true: the tensor must own its memory once `noise` goes out of scope.
  return torch::from_blob(noise.data(), {rows, latent_dim}, torch::kFloat32)
      .to(device, /*non_blocking=*/false, /*copy=*/true);
}

std::vector<train::DiscriminatorBatch> stepInputs(const data::Dataset& dataset, data::GlobalSampleOrder& order,
                                                  data::BatchRows rows, const StepRecipe& recipe, int64_t step,
                                                  const torch::Device& device) {
  std::vector<train::DiscriminatorBatch> batches;
  for (int64_t k = 0; k < recipe.d_steps; ++k) {
    const int64_t batch_number = step * recipe.d_steps + k;
    train::DiscriminatorBatch batch;
    batch.real = dataset.batch(order.indicesForStep(batch_number, rows), device);
    batch.z = noiseTensor(recipe.seed, batch_number, rows.first, rows.count, recipe.latent_dim, device);
    if (recipe.mixing_weights) {
      auto weights = train::mixingWeightRows(recipe.seed, batch_number, rows.first, rows.count);
      batch.mixing = torch::from_blob(weights.data(), {rows.count}, torch::kFloat32).to(device, false, true);
    }
    batches.push_back(std::move(batch));
  }
  return batches;
}

}  // namespace gan::coordinator
