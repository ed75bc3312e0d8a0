// GanTrainer: one data-parallel training step of a GAN (D step, then G step), with each
// network's gradients averaged across ranks by its own GradientBuckets.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "comm/communicator.h"
#include "models/gan_networks.h"
#include "train/flat_adam.h"
#include "train/flat_parameters.h"
#include "train/gradient_buckets.h"
#include "train/losses.h"

namespace gan::train {

struct TrainerOptions {
  GanLoss loss = GanLoss::Nonsaturating;
  AdamSettings adam_g;
  AdamSettings adam_d;
  int64_t bucket_bytes = 25 << 20;
};

// This rank's view of one step; 0-dim tensors, read only when logged (a read syncs a GPU).
struct StepOutputs {
  torch::Tensor loss_d;
  torch::Tensor loss_g;
  torch::Tensor d_real;  // mean D(x)
  torch::Tensor d_fake;  // mean D(G(z)) before D's update
};

class GanTrainer {
 public:
  GanTrainer(models::GanNetworks networks, comm::Communicator& communicator, TrainerOptions options);

  // Rank 0's weights to everyone, so replicas start identical whatever their seeds did.
  void broadcastParameters();

  // real: this rank's rows of the global batch (b, sample_dim); z: its noise (b, latent_dim).
  StepOutputs step(const torch::Tensor& real, const torch::Tensor& z);

  models::Generator& generator() { return *networks_.generator; }
  models::Discriminator& discriminator() { return *networks_.discriminator; }
  FlatParameters& generatorParameters() { return *g_params_; }
  FlatParameters& discriminatorParameters() { return *d_params_; }
  FlatAdam& generatorOptimizer() { return *g_adam_; }
  FlatAdam& discriminatorOptimizer() { return *d_adam_; }
  GradientBuckets& generatorBuckets() { return *g_buckets_; }
  GradientBuckets& discriminatorBuckets() { return *d_buckets_; }
  // Both networks' communication since the last call.
  CommunicationStats takeCommunicationStats();

 private:
  models::GanNetworks networks_;
  comm::Communicator& communicator_;
  TrainerOptions options_;
  std::unique_ptr<FlatParameters> g_params_, d_params_;
  std::unique_ptr<GradientBuckets> g_buckets_, d_buckets_;
  std::unique_ptr<FlatAdam> g_adam_, d_adam_;
};

}  // namespace gan::train
