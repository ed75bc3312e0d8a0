#include "run/step_inputs.h"

#include "datasets/noise_tensors.h"

namespace gan::run {

StepInputSettings StepInputSettings::fromConfig(const Config& config) {
  StepInputSettings input_settings;
  input_settings.seed = static_cast<uint64_t>(config.train.seed);
  input_settings.latent_dim = config.model.latent_dim;
  input_settings.d_steps = config.train.d_steps;
  input_settings.mixing_weights = config.train.loss == GanLoss::WganGp;
  return input_settings;
}

std::vector<train::DiscriminatorBatch> stepInputs(const data::Dataset& dataset, data::GlobalSampleOrder& order,
                                                  data::BatchRows rows, const StepInputSettings& input_settings, int64_t step,
                                                  const torch::Device& device) {
  std::vector<train::DiscriminatorBatch> batches;
  for (int64_t k = 0; k < input_settings.d_steps; ++k) {
    const int64_t batch_number = step * input_settings.d_steps + k;
    train::DiscriminatorBatch batch;
    batch.seed = input_settings.seed;
    batch.batch_number = batch_number;
    batch.first_row = rows.first;
    batch.real = dataset.batch(order.indicesForStep(batch_number, rows), device);
    batch.z = data::latentNoiseTensor(input_settings.seed, batch_number, rows.first, rows.count, input_settings.latent_dim, device);
    if (input_settings.mixing_weights) {
      batch.mixing = data::mixingWeightTensor(input_settings.seed, batch_number, rows.first, rows.count, device);
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

}  // namespace gan::run
