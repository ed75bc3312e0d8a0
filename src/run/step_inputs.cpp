#include "run/step_inputs.h"

#include "common/error.h"
#include "datasets/noise_tensors.h"

namespace gan::run {

std::vector<int64_t> conditioningClassCounts(const Config& config, const datasets::Dataset& dataset) {
  if (!config.model.conditional) return {};
  GAN_CHECK(dataset.hasLabels(), "--model.conditional needs labelled data; --data.name=", config.data.name, " (",
            dataset.description(), ") has no labels (a conditional model needs a class for every image: class "
            "sub-folders, MNIST-format label files or CIFAR-10)");
  return dataset.classCounts();
}

StepInputSettings StepInputSettings::fromConfig(const Config& config, const datasets::Dataset& dataset) {
  StepInputSettings input_settings;
  input_settings.seed = static_cast<uint64_t>(config.train.seed);
  input_settings.latent_dim = config.model.latent_dim;
  input_settings.d_steps = config.train.d_steps;
  input_settings.mixing_weights = config.train.loss == GanLoss::WganGp;
  input_settings.class_counts = conditioningClassCounts(config, dataset);
  input_settings.rows_per_class_draw = config.train.mode_seeking > 0 ? 2 : 1;
  return input_settings;
}

std::vector<train::DiscriminatorBatch> stepInputs(const datasets::Dataset& dataset, data::GlobalSampleOrder& order,
                                                  data::BatchRows rows, const StepInputSettings& input_settings, int64_t step,
                                                  const torch::Device& device) {
  std::vector<train::DiscriminatorBatch> batches;
  for (int64_t k = 0; k < input_settings.d_steps; ++k) {
    const int64_t batch_number = step * input_settings.d_steps + k;
    train::DiscriminatorBatch batch;
    batch.seed = input_settings.seed;
    batch.batch_number = batch_number;
    batch.first_row = rows.first;
    const auto indices = order.indicesForStep(batch_number, rows);
    batch.real = dataset.batch(indices, device);
    batch.z = datasets::latentNoiseTensor(input_settings.seed, batch_number, rows.first, rows.count, input_settings.latent_dim, device);
    if (input_settings.mixing_weights) {
      batch.mixing = datasets::mixingWeightTensor(input_settings.seed, batch_number, rows.first, rows.count, device);
    }
    if (!input_settings.class_counts.empty()) {
      batch.real_labels = dataset.labelsOf(indices).to(device, torch::kInt64);
      batch.fake_labels = datasets::classLabelTensor(input_settings.seed, batch_number, rows.first, rows.count,
                                                 input_settings.class_counts, device, input_settings.rows_per_class_draw);
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
