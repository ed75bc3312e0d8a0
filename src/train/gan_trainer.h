// GanTrainer: one data-parallel training step of a GAN (D step, then G step), with each
// network's gradients averaged across ranks by its own GradientBuckets.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "comm/communicator.h"
#include "common/config.h"
#include "models/gan_networks.h"
#include "train/flat_adam.h"
#include "train/flat_parameters.h"
#include "train/gradient_buckets.h"
#include "train/losses.h"

namespace gan::train {

// Told what a step does, as it does it: the coordinator's watchdog and timeline listen.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void phaseBegins(const char* phase) = 0;  // "D step", "G step"
  virtual void phaseEnds(const char* phase) = 0;
  virtual void bucketReduced(const BucketTiming& timing) = 0;
};

struct TrainerOptions {
  GanLoss loss = GanLoss::Nonsaturating;
  AdamSettings adam_g;
  AdamSettings adam_d;
  int64_t bucket_bytes = 25 << 20;
  StepObserver* observer = nullptr;  // not owned; may be null

  // Loss, both Adams and the bucket size as the configuration says.
  static TrainerOptions fromConfig(const Config& config);
};

// This rank's view of one step, as tensors: summaries cost kernels (and a GPU sync when read),
// so they are computed only for the steps that are logged.
struct StepOutputs {
  torch::Tensor loss_d;       // 0-dim
  torch::Tensor loss_g;       // 0-dim
  torch::Tensor real_logits;  // D's logits for the real rows (D step, before D's update)
  torch::Tensor fake_logits;  // D's logits for the generated rows (D step)
  // An update is skipped when its averaged gradients hold a NaN or Inf. Any rank's non-finite
  // gradient reaches every rank through the average, so all ranks skip together, no extra
  // collective needed.
  bool d_update_skipped = false;
  bool g_update_skipped = false;
  bool local_loss_finite = true;  // this rank's own losses (names the culprit in the log)
};

// Host values of a step's losses and mean D outputs (D(x), D(G(z))), in that order.
struct StepSummary {
  double loss_d = 0, loss_g = 0, d_real = 0, d_fake = 0;
};
StepSummary summarize(const StepOutputs& outputs);

class GanTrainer {
 public:
  GanTrainer(models::GanNetworks networks, comm::Communicator& communicator, TrainerOptions options);

  // Rank 0's weights to everyone, so replicas start identical whatever their seeds did.
  void broadcastParameters();
  // Rank 0's optimizer state (moments and step counts) to everyone, after a resume.
  void broadcastOptimizerState();

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
