// What one rank feeds into training step `step`: for each of the step's discriminator updates,
// its rows of one global batch, their noise and (WGAN-GP) their mixing weights. One assembly
// serves training, benchmarks and the invariance tests.
//
// Update k of step s consumes global batch number s * d_steps + k of the sample order and the
// noise streams, so with d_steps = 1 batch numbers are step numbers.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <vector>

#include "datasets/dataset.h"
#include "data/sample_order.h"
#include "train/gan_trainer.h"

namespace gan::run {

struct StepInputSettings {
  uint64_t seed = 0;
  int64_t latent_dim = 100;
  int64_t d_steps = 1;
  bool mixing_weights = false;  // WGAN-GP
  // --model.conditional: images per class of the training set, which generated rows' classes
  // are drawn from; empty for unconditional models.
  std::vector<int64_t> class_counts;
  int64_t classes() const { return static_cast<int64_t>(class_counts.size()); }
  // --train.mode_seeking pairs generated rows (2i, 2i+1) and compares their images: a pair draws
  // one class, so the comparison is between two z of the same class.
  int64_t rows_per_class_draw = 1;

  // `dataset`: the training set, whose class frequencies a conditional model draws from.
  static StepInputSettings fromConfig(const Config& config, const datasets::Dataset& dataset);
};

// --model.conditional: the training set's images per class (what the networks are built for and
// generated rows' classes are drawn from); empty for an unconditional model. Throws naming the
// option and the data set when the data has no labels.
std::vector<int64_t> conditioningClassCounts(const Config& config, const datasets::Dataset& dataset);

std::vector<train::DiscriminatorBatch> stepInputs(const datasets::Dataset& dataset, data::GlobalSampleOrder& order,
                                                  data::BatchRows rows, const StepInputSettings& input_settings, int64_t step,
                                                  const torch::Device& device);

// The inputs of consecutive steps. With --comm.overlap_next_step the trainer asks for the next
// step's during G's reduction (nextAfter), so they are assembled there and kept; otherwise each
// step's are assembled when taken.
class StepInputQueue {
 public:
  using Assemble = std::function<std::vector<train::DiscriminatorBatch>(int64_t step)>;
  explicit StepInputQueue(Assemble assemble) : assemble_(std::move(assemble)) {}

  // The inputs of `step`: the ones assembled ahead when they are for it, else assembled now.
  std::vector<train::DiscriminatorBatch> take(int64_t step);
  // For GanTrainer::step of `step`: assembles the inputs of step + 1 when called, and offers
  // their first batch (none when step + 1 is `end`, the run's end).
  train::NextBatchSource nextAfter(int64_t step, int64_t end);

 private:
  Assemble assemble_;
  std::vector<train::DiscriminatorBatch> ahead_;
  int64_t ahead_step_ = -1;
};

}  // namespace gan::run
