// The networks of a checkpoint rebuilt from its recorded config: the generator gan_sample and
// gan_eval sample from, or both networks as trained (gan_export).
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "common/config.h"
#include "models/gan_networks.h"
#include "train/gan_trainer.h"

namespace gan::checkpoint {

struct GeneratorFromCheckpoint {
  std::shared_ptr<models::Generator> generator;  // the EMA of G when the run kept one
  bool from_ema = false;
  Config config;                      // the run's configuration, as the checkpoint records it
  std::vector<int64_t> sample_shape;  // {C, H, W} or {features}
  std::vector<int64_t> class_counts;  // conditional models: images per class of the training set
  int64_t latent_dim = 0;
  int64_t step = 0;
};

// Verifies the checkpoint and rebuilds its generator (the EMA when present) from its config.
GeneratorFromCheckpoint loadGeneratorFromCheckpoint(const std::string& checkpoint_dir);

// Both networks of a checkpoint, as trained (G itself, its EMA when the run kept one, and D).
struct NetworksFromCheckpoint {
  std::shared_ptr<train::GanTrainer> trainer;  // owns the networks
  std::shared_ptr<models::Generator> generator;      // G as trained
  std::shared_ptr<models::Generator> ema_generator;  // null when the checkpoint holds no EMA
  std::shared_ptr<models::Discriminator> discriminator;
  Config config;
  std::vector<int64_t> sample_shape;
  std::vector<int64_t> class_counts;  // conditional models: images per class of the training set
  int64_t step = 0;
};
NetworksFromCheckpoint loadNetworksFromCheckpoint(const std::string& checkpoint_dir);


}  // namespace gan::checkpoint
