#include "coordinator/step_inputs.h"

#include "data/noise_tensors.h"

namespace gan::coordinator {

StepRecipe StepRecipe::fromConfig(const Config& config) {
  StepRecipe recipe;
  recipe.seed = static_cast<uint64_t>(config.train.seed);
  recipe.latent_dim = config.model.latent_dim;
  recipe.d_steps = config.train.d_steps;
  recipe.mixing_weights = config.train.loss == "wgan-gp";
  return recipe;
}

std::vector<train::DiscriminatorBatch> stepInputs(const data::Dataset& dataset, data::GlobalSampleOrder& order,
                                                  data::BatchRows rows, const StepRecipe& recipe, int64_t step,
                                                  const torch::Device& device) {
  std::vector<train::DiscriminatorBatch> batches;
  for (int64_t k = 0; k < recipe.d_steps; ++k) {
    const int64_t batch_number = step * recipe.d_steps + k;
    train::DiscriminatorBatch batch;
    batch.seed = recipe.seed;
    batch.batch_number = batch_number;
    batch.first_row = rows.first;
    batch.real = dataset.batch(order.indicesForStep(batch_number, rows), device);
    batch.z = data::latentNoiseTensor(recipe.seed, batch_number, rows.first, rows.count, recipe.latent_dim, device);
    if (recipe.mixing_weights) {
      batch.mixing = data::mixingWeightTensor(recipe.seed, batch_number, rows.first, rows.count, device);
    }
    batches.push_back(std::move(batch));
  }
  return batches;
}

std::vector<train::DiscriminatorBatch> StepInputQueue::take(int64_t step) {
  if (ahead_step_ != step) return assemble_(step);
  ahead_step_ = -1;
  return std::move(ahead_);
}

train::NextBatchSource StepInputQueue::nextAfter(int64_t step, int64_t end) {
  return [this, step, end]() -> const train::DiscriminatorBatch* {
    if (step + 1 >= end) return nullptr;
    ahead_ = assemble_(step + 1);
    ahead_step_ = step + 1;
    return &ahead_.front();
  };
}

}  // namespace gan::coordinator
