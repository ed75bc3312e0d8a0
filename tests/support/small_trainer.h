// A trainer small enough for unit tests: the 2-D MLP with 8 hidden units and 3 latent values on
// ring8, built the way training builds it.
#pragma once

#include <memory>

#include "comm/communicator.h"
#include "common/config.h"
#include "train/trainer_setup.h"

namespace gan::test_support {

inline Config smallTrainerConfig() {
  Config config;
  config.data.name = gan::DataSetName::Ring8;
  config.model.arch = gan::ModelArch::Mlp2d;
  config.model.hidden_dim = 8;
  config.model.latent_dim = 3;
  return config;
}

inline std::unique_ptr<train::GanTrainer> buildSmallTrainer(const Config& config, comm::Communicator& communicator) {
  return train::buildTrainer(config, {2}, communicator, torch::kCPU);
}

}  // namespace gan::test_support
