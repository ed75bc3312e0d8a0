// Builds the trainer a configuration describes: networks for the data's sample shape (seeded
// from --train.seed), the EMA generator when enabled, all on `device`. Training, benchmarks and
// sampling share it, so they cannot disagree about what a config means.
#pragma once

#include <memory>
#include <vector>

#include "common/config.h"
#include "train/gan_trainer.h"

namespace gan::train {

// `classes`: the data's number of classes, which --model.conditional networks are built for
// (ignored for unconditional ones).
std::unique_ptr<train::GanTrainer> buildTrainer(const Config& config, const std::vector<int64_t>& sample_shape,
                                                comm::Communicator& communicator, const torch::Device& device,
                                                int64_t classes = 0);

}  // namespace gan::train
