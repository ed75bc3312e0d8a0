// What one rank feeds into training step `step`: for each of the step's discriminator updates,
// its rows of one global batch, their noise and (WGAN-GP) their mixing weights. The single
// recipe used by training, benchmarks and the invariance tests.
//
// Update k of step s consumes global batch number s * d_steps + k of the sample order and the
// noise streams, so with d_steps = 1 batch numbers are step numbers.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "data/dataset.h"
#include "data/sample_order.h"
#include "train/gan_trainer.h"

namespace gan::coordinator {

struct StepRecipe {
  uint64_t seed = 0;
  int64_t latent_dim = 100;
  int64_t d_steps = 1;
  bool mixing_weights = false;  // WGAN-GP

  static StepRecipe fromConfig(const Config& config);
};

std::vector<train::DiscriminatorBatch> stepInputs(const data::Dataset& dataset, data::GlobalSampleOrder& order,
                                                  data::BatchRows rows, const StepRecipe& recipe, int64_t step,
                                                  const torch::Device& device);

}  // namespace gan::coordinator
