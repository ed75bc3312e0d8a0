// GanTrainer: one data-parallel training step of a GAN (D step, then G step), with each
// network's gradients averaged across ranks by its own GradientBuckets.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <memory>

#include "comm/communicator.h"
#include "common/config.h"
#include "models/gan_networks.h"
#include "train/augmentation.h"
#include "parallel/flat_adam.h"
#include "parallel/gradient_buckets.h"
#include "train/gradient_penalties.h"
#include "train/mode_seeking.h"
#include "train/losses.h"
#include "parallel/network_state.h"

namespace gan::train {

// Told what a step does, as it does it: the run's watchdog and timeline listen.
class StepObserver {
 public:
  virtual ~StepObserver() = default;
  virtual void phaseBegins(const char* phase) = 0;  // "D step", "G step"
  virtual void phaseEnds(const char* phase) = 0;
  virtual void bucketReduced(const parallel::BucketTiming& timing) = 0;
};

struct TrainerOptions {
  GanLoss loss = GanLoss::Nonsaturating;
  double gp_weight = 10.0;     // WGAN-GP lambda
  double r1_gamma = 0.0;       // R1 weight (0: off)
  int64_t r1_interval = 1;     // R1 on steps where step % interval == 0, scaled by interval
  // EMA of G: half-life in images (0: off). Per step the average moves by 1 - 0.5^(B / half-life)
  // towards G, B the global batch, so the half-life does not change with the world size.
  double ema_halflife_images = 0.0;
  double mode_seeking = 0.0;   // weight of the mode-seeking term in G's loss (0: off; mode_seeking.h)
  parallel::AdamSettings adam_g;
  parallel::AdamSettings adam_d;
  int64_t bucket_bytes = 25 << 20;
  parallel::CompressionSettings compression;  // how both networks' gradients travel
  // Overlap the next step with this one's G reduction (--comm.overlap_next_step): D's real and
  // generated halves become separate backward passes, and the next step's real half runs while
  // G's gradients are in flight. Applies where the real half depends on nothing but D's weights
  // and the real batch: no batch norm in D, no augmentation, no WGAN-GP, not on R1 steps.
  bool overlap_next_step = false;
  // Adaptive discriminator augmentation: every image D sees (real and generated, D and G steps)
  // is augmented with the probability setAugmentationProbability() last gave.
  bool augment = false;
  // Seed torch's default generator from (seed, step, rank) at every step, for networks that draw
  // random numbers in their forward (networks written in PyTorch: --model.arch=torchscript).
  bool key_forward_randomness = false;
  AugmentationSet augment_transforms = kAllAugmentations;
  ImageGeometry image_geometry;

  // Loss, penalties, EMA, both Adams and the bucket size as the configuration says.
  static TrainerOptions fromConfig(const Config& config);
  bool gradientPenalty() const { return loss == GanLoss::WganGp || r1_gamma > 0; }
};

// What one discriminator update consumes: this rank's rows of one global batch.
struct DiscriminatorBatch {
  torch::Tensor real;    // (b, features) in the data's range
  torch::Tensor z;       // (b, latent_dim)
  torch::Tensor mixing;  // (b) uniform [0, 1): WGAN-GP's real/fake interpolation weights; else undefined
  // Conditional networks (--model.conditional): the real rows' classes and the classes the
  // generated rows are drawn for, (b) int64 each; undefined for unconditional ones.
  torch::Tensor real_labels;
  torch::Tensor fake_labels;
  // What keys the augmentation's draws, like the noise: the job's seed, which global batch of
  // the sample order this is, and the global row of this rank's first row.
  uint64_t seed = 0;
  int64_t batch_number = 0;
  int64_t first_row = 0;
};

// Called by step() while G's gradients are in flight: the first batch of the next step (this
// rank's rows), or null when there is none. The caller assembles it there and keeps it for the
// next step() call, so assembling the batch overlaps the reduction too.
using NextBatchSource = std::function<const DiscriminatorBatch*()>;

// This rank's view of one step, as tensors: summaries cost kernels (and a GPU sync when read),
// so they are computed only for the steps that are logged.
struct StepOutputs {
  torch::Tensor loss_d;       // 0-dim
  torch::Tensor loss_g;       // 0-dim: the adversarial loss (without the mode-seeking term)
  torch::Tensor mode_seeking_ratio;  // 0-dim, the global batch's; undefined without the term
  torch::Tensor real_logits;  // D's logits for the real rows (D step, before D's update)
  torch::Tensor fake_logits;  // D's logits for the generated rows (D step)
  // With augmentation: sum of sign(D's real logits) over this rank's rows of every D update of
  // the step (0-dim int64), and how many rows that is. ADA's r_t is the global sum over count.
  torch::Tensor real_sign_sum;
  int64_t real_rows = 0;
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
  // ema_generator: a second G of the same architecture, required when options enable the EMA.
  GanTrainer(models::GanNetworks networks, comm::Communicator& communicator, TrainerOptions options,
             std::shared_ptr<models::Generator> ema_generator = nullptr);

  // Who is told of each phase and bucket reduction (the run's watchdog and timeline);
  // not owned, may be null.
  void setObserver(StepObserver* observer);

  // `root`'s replicated state of both networks (weights, optimizer state, EMA) to everyone:
  // at start-up (rank 0's), so replicas start identical whatever their seeds did, and after a
  // resume (the rank that loaded the checkpoint).
  void broadcastState(int root = 0);

  // One training step: a D update per batch (d_steps of them), then one G update on the fake
  // rows of the last batch. `step_index` (from 0) times the lazy R1 penalty. With `next` (and
  // overlap enabled), the next step's real half runs during G's reduction; the result is the same
  // bits as without it, only sooner.
  StepOutputs step(const std::vector<DiscriminatorBatch>& batches, int64_t step_index,
                   const NextBatchSource& next = nullptr);
  // One D update and one G update on `real` (b, features) and its noise `z` (b, latent_dim).
  StepOutputs step(const torch::Tensor& real, const torch::Tensor& z);

  models::Generator& generator() { return *networks_.generator; }
  models::Discriminator& discriminator() { return *networks_.discriminator; }
  // The generator samples and evaluations use: the EMA of G when enabled, else G itself.
  models::Generator& samplingGenerator() { return ema_generator_ ? *ema_generator_ : *networks_.generator; }
  bool hasEma() const { return ema_generator_ != nullptr; }

  // Each network's replicated state: G (with its EMA when enabled), then D.
  parallel::NetworkState& generatorState() { return *g_; }
  parallel::NetworkState& discriminatorState() { return *d_; }
  std::vector<parallel::NetworkState*> networkStates() { return {g_.get(), d_.get()}; }

  // ADA's current strength: each augmentation applies to an image with probability p (0: none).
  void setAugmentationProbability(double p);
  double augmentationProbability() const { return augment_p_; }

  // Whether some network keeps per-rank state (PowerSGD's error feedback) that checkpoints gather.
  bool hasPerRankState() const { return g_->hasPerRankState() || d_->hasPerRankState(); }
  // Collective, before a checkpoint: every rank's per-rank state (PowerSGD's error feedback) to
  // rank 0, and with `to_every_rank` on to every rank, where a checkpoint writer takes it; a rank
  // that writes no checkpoint passes `keep_here` false and holds none of it afterwards.
  // Nothing in other modes.
  void gatherPerRankState(bool to_every_rank = false, bool keep_here = true);
  // Collective, after a resume: the per-rank state `root` loaded to its ranks (zero when the
  // checkpoint was written at another world size, or held none).
  void scatterPerRankState(int checkpoint_world_size, int root = 0);

  // Both networks' communication since the last call.
  parallel::CommunicationStats takeCommunicationStats();
  // Seconds this rank's training thread has waited for gradient reductions, since construction.
  double collectiveWaitSeconds() const {
    return g_->buckets().waitedSecondsTotal() + d_->buckets().waitedSecondsTotal();
  }
  // Whether D updates run their real and generated halves as separate passes, the next step's
  // real half overlapping G's reduction (--comm.overlap_next_step where it applies; R1 steps aside,
  // so with R1 on every step nothing overlaps).
  bool overlapsNextStep() const {
    return splitsRealHalf(false) && !(options_.r1_gamma > 0 && options_.r1_interval == 1);
  }
  // D updates whose real half ran during the previous step's G reduction, since construction.
  int64_t overlappedRealHalves() const { return overlapped_real_halves_; }

 private:
  void keyForwardRandomness(uint64_t seed, int64_t step_index);

  models::GanNetworks networks_;
  comm::Communicator& communicator_;
  TrainerOptions options_;
  std::shared_ptr<models::Generator> ema_generator_;
  std::unique_ptr<parallel::NetworkState> g_, d_;
  StepObserver* observer_ = nullptr;
  double augment_p_ = 0;

  // D's real half computed ahead: its gradient waits in D's gradient buffer. Valid for one batch
  // and only while D's weights and gradient buffer are as they were when it ran.
  // What D looked like: the trainer's count of its updates (the fused Adam writes the weights
  // through pointers, unseen by torch), and the version counters of its weight buffer (any
  // in-place write through torch: a resume's load) and gradient buffer.
  struct DiscriminatorVersion {
    int64_t updates = -1;
    uint32_t weight_buffer = 0;
    uint32_t gradient_buffer = 0;
    bool operator==(const DiscriminatorVersion& other) const {
      return updates == other.updates && weight_buffer == other.weight_buffer &&
             gradient_buffer == other.gradient_buffer;
    }
  };
  DiscriminatorVersion discriminatorVersion() const;
  struct RealHalf {
    int64_t batch_number = -1;
    DiscriminatorVersion computed_on;  // D right after the half ran
    torch::Tensor loss, logits;        // detached
  };
  RealHalf ahead_;
  int64_t d_weights_version_ = 0;  // counts every change of D's weights this trainer makes
  int64_t overlapped_real_halves_ = 0;

  // Whether a D update (on an R1 step or not) runs its real and generated halves separately.
  bool splitsRealHalf(bool apply_r1) const;
  // D's real half on `batch`: zeroes D's gradients, runs forward and backward with D's buckets
  // not armed, and returns the detached loss term and logits.
  RealHalf realHalf(const DiscriminatorBatch& batch);

  // What D is shown of `images` (rows of `batch`): augmented when p > 0, else the images.
  torch::Tensor seenByD(const torch::Tensor& images, AugmentationStream stream, const DiscriminatorBatch& batch) const;
  // One D update on `batch` against `fake` (detached here); fills the D fields of `out`.
  void discriminatorUpdate(const DiscriminatorBatch& batch, const torch::Tensor& fake, bool apply_r1,
                           StepOutputs& out);
  // The update's logits and loss (not yet backward-ed, except a split update's real half).
  struct DiscriminatorPass {
    torch::Tensor real_logits, fake_logits, loss;
  };
  DiscriminatorPass fusedDiscriminatorPass(const DiscriminatorBatch& batch, const torch::Tensor& fake, bool apply_r1);
  DiscriminatorPass splitDiscriminatorPass(const DiscriminatorBatch& batch, const torch::Tensor& fake);
  // One G update through D on `fake`, generated from `batch`'s noise; fills the G fields of `out`.
  // `during_reduction` runs while G's gradients are in flight.
  void generatorUpdate(const DiscriminatorBatch& batch, const torch::Tensor& fake, StepOutputs& out,
                       const std::function<void()>& during_reduction);
};

}  // namespace gan::train
