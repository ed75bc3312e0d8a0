#include "train/gan_trainer.h"

#include <cmath>

#include "common/error.h"
#include "common/splitmix.h"

namespace gan::train {

TrainerOptions TrainerOptions::fromConfig(const Config& config) {
  TrainerOptions options;
  options.loss = config.train.loss;
  options.gp_weight = config.train.gp_weight;
  options.r1_gamma = config.train.r1_gamma;
  options.r1_interval = config.train.r1_interval;
  options.ema_halflife_images = config.train.ema_halflife_k * 1000.0;
  options.mode_seeking = config.train.mode_seeking;
  options.adam_g = {config.train.lr_g, config.train.beta1, config.train.beta2};
  options.adam_d = {config.train.lr_d, config.train.beta1, config.train.beta2};
  options.bucket_bytes = static_cast<int64_t>(config.comm.bucket_mb * 1024 * 1024);
  options.compression = {config.comm.compress, config.comm.powersgd_rank,
                         static_cast<uint64_t>(config.train.seed), config.comm.powersgd_warmup_steps};
  options.overlap_next_step = config.comm.overlap_next_step;
  options.key_forward_randomness = traitsOf(config.model.arch).written_in_pytorch;
  options.augment = config.train.ada_target > 0;
  options.augment_transforms = augmentationSet(config.train.ada_augment);
  return options;
}

GanTrainer::GanTrainer(models::GanNetworks networks, comm::Communicator& communicator, TrainerOptions options,
                       std::shared_ptr<models::Generator> ema_generator)
    : networks_(std::move(networks)), communicator_(communicator), options_(options) {
  GAN_CHECK(!(options_.gradientPenalty() && networks_.discriminator->usesBatchStatistics()),
            "a gradient penalty (wgan-gp, R1) needs a discriminator without batch norm: each row's input gradient "
            "must be its own");
  if (options_.ema_halflife_images > 0) {
    GAN_CHECK(ema_generator != nullptr, "the EMA of G needs a second generator of the same architecture");
    ema_generator_ = std::move(ema_generator);
  }
  g_ = std::make_unique<parallel::NetworkState>("G", networks_.generator, communicator_, options_.adam_g, options_.bucket_bytes,
                                      ema_generator_, options_.compression);
  d_ = std::make_unique<parallel::NetworkState>("D", networks_.discriminator, communicator_, options_.adam_d,
                                      options_.bucket_bytes, nullptr, options_.compression);
}

void GanTrainer::setObserver(StepObserver* observer) {
  observer_ = observer;
  std::function<void(const parallel::BucketTiming&)> forward;
  if (observer != nullptr) forward = [observer](const parallel::BucketTiming& timing) { observer->bucketReduced(timing); };
  for (parallel::NetworkState* network : networkStates()) network->buckets().setTimingListener(forward);
}

void GanTrainer::broadcastState(int root) {
  ahead_ = RealHalf();
  ++d_weights_version_;
  for (parallel::NetworkState* network : networkStates()) network->broadcastFrom(communicator_, root);
}

void GanTrainer::gatherPerRankState(bool to_every_rank, bool keep_here) {
  for (parallel::NetworkState* network : networkStates()) network->gatherPerRankState(communicator_, to_every_rank, keep_here);
}

void GanTrainer::scatterPerRankState(int checkpoint_world_size, int root) {
  for (parallel::NetworkState* network : networkStates()) network->scatterPerRankState(communicator_, checkpoint_world_size, root);
}

void GanTrainer::setAugmentationProbability(double p) {
  GAN_CHECK(options_.augment || p == 0, "augmentation probability ", p, " given to a trainer built without augmentation");
  GAN_CHECK(p >= 0 && p <= 1, "augmentation probability must be in [0, 1], got ", p);
  augment_p_ = p;
}

torch::Tensor GanTrainer::seenByD(const torch::Tensor& images, AugmentationStream stream,
                                  const DiscriminatorBatch& batch) const {
  if (augment_p_ == 0) return images;
  const auto draw = drawAugmentation(batch.seed, stream, batch.batch_number, batch.first_row,
                                     images.size(0), augment_p_, options_.image_geometry, options_.augment_transforms);
  return applyAugmentation(images, draw, options_.image_geometry);
}

namespace {
// NaN and Inf survive a sum, so one reduction pass tells whether every element is finite.
bool allFinite(const torch::Tensor& flat) { return std::isfinite(flat.sum().item<double>()); }
}  // namespace

bool GanTrainer::splitsRealHalf(bool apply_r1) const {
  // R1 and WGAN-GP tie the real rows to the penalty, ADA's p may change between steps, and batch
  // norm's running statistics would see the next step's real rows before a checkpoint is written.
  return options_.overlap_next_step && !apply_r1 && !options_.augment && options_.loss != GanLoss::WganGp &&
         !networks_.discriminator->usesBatchStatistics();
}

GanTrainer::DiscriminatorVersion GanTrainer::discriminatorVersion() const {
  return {d_weights_version_, d_->parameters().values()._version(), d_->parameters().grads()._version()};
}

GanTrainer::RealHalf GanTrainer::realHalf(const DiscriminatorBatch& batch) {
  // D's buckets are not armed here, so this backward only accumulates: the reductions start
  // when the generated half's backward completes each bucket.
  d_->parameters().grads().zero_();
  auto logits = networks_.discriminator->forward(batch.real, batch.real_labels);
  auto term = discriminatorRealTerm(options_.loss, logits);
  term.backward();
  RealHalf half;
  half.batch_number = batch.batch_number;
  half.computed_on = discriminatorVersion();
  half.loss = term.detach();
  half.logits = logits.detach();
  return half;
}

GanTrainer::DiscriminatorPass GanTrainer::splitDiscriminatorPass(const DiscriminatorBatch& batch,
                                                                 const torch::Tensor& fake) {
  // The half computed ahead counts only if nothing has touched D since: same batch, same
  // weights, and a gradient buffer no backward or zeroing has written to (its version counter).
  const bool ahead = ahead_.loss.defined() && ahead_.batch_number == batch.batch_number &&
                     ahead_.computed_on == discriminatorVersion();
  RealHalf real = ahead ? std::move(ahead_) : realHalf(batch);
  ahead_ = RealHalf();
  if (ahead) ++overlapped_real_halves_;
  d_->buckets().beginBackward(parallel::GradientBuckets::GradientStart::Accumulate);
  auto fake_logits = networks_.discriminator->forward(fake.detach(), batch.fake_labels);
  auto fake_term = discriminatorFakeTerm(options_.loss, fake_logits);
  fake_term.backward();  // D's hooks start the bucket reductions during this call
  return {real.logits, fake_logits, real.loss + fake_term.detach()};
}

GanTrainer::DiscriminatorPass GanTrainer::fusedDiscriminatorPass(const DiscriminatorBatch& batch,
                                                                 const torch::Tensor& fake, bool apply_r1) {
  auto& discriminator = *networks_.discriminator;
  const int64_t b = batch.real.size(0);
  const bool wgan_gp = options_.loss == GanLoss::WganGp;
  d_->buckets().beginBackward();
  // R1 differentiates with respect to the real images before augmentation (as StyleGAN2-ADA).
  auto real = apply_r1 ? batch.real.detach().requires_grad_(true) : batch.real;
  const auto real_seen = seenByD(real, AugmentationStream::RealInDStep, batch);
  const auto fake_seen = seenByD(fake.detach(), AugmentationStream::FakeInDStep, batch);
  torch::Tensor real_logits, fake_logits, interpolated, interpolated_logits;
  if (discriminator.usesBatchStatistics()) {
    // Batch norm: real and generated rows in separate batches (the G step sees generated alone).
    real_logits = discriminator.forward(real_seen, batch.real_labels);
    fake_logits = discriminator.forward(fake_seen, batch.fake_labels);
  } else {
    // Rows are independent: one batch, one matrix product per layer instead of two or three.
    std::vector<torch::Tensor> rows{real_seen, fake_seen};
    std::vector<torch::Tensor> labels{batch.real_labels, batch.fake_labels};
    if (wgan_gp) {
      GAN_CHECK(batch.mixing.defined(), "wgan-gp needs the per-row mixing weights");
      interpolated = interpolateRealFake(real_seen, fake_seen, batch.mixing);
      rows.push_back(interpolated);
      labels.push_back(batch.real_labels);  // a conditional critic judges the mixtures as of the real row's class
    }
    auto logits = discriminator.forward(torch::cat(rows, 0), batch.real_labels.defined() ? torch::cat(labels, 0) : torch::Tensor());
    real_logits = logits.narrow(0, 0, b);
    fake_logits = logits.narrow(0, b, b);
    if (wgan_gp) interpolated_logits = logits.narrow(0, 2 * b, b);
  }
  auto loss = discriminatorLoss(options_.loss, real_logits, fake_logits);
  if (wgan_gp) loss = loss + wganGradientPenalty(interpolated_logits, interpolated, options_.gp_weight);
  // Lazy R1: every r1_interval steps, weighted by the interval so its average strength holds.
  if (apply_r1) loss = loss + r1Penalty(real_logits, real, options_.r1_gamma * double(options_.r1_interval));
  loss.backward();  // D's hooks start the bucket reductions during this call
  return {real_logits.detach(), fake_logits.detach(), loss.detach()};
}

void GanTrainer::discriminatorUpdate(const DiscriminatorBatch& batch, const torch::Tensor& fake, bool apply_r1,
                                     StepOutputs& out) {
  if (observer_) observer_->phaseBegins("D step");
  const DiscriminatorPass pass =
      splitsRealHalf(apply_r1) ? splitDiscriminatorPass(batch, fake) : fusedDiscriminatorPass(batch, fake, apply_r1);
  d_->buckets().finishAndAverage();
  const bool skipped = !allFinite(d_->parameters().grads());
  if (!skipped) {
    d_->optimizer().step();
    ++d_weights_version_;
  }
  out.d_update_skipped = out.d_update_skipped || skipped;
  if (observer_) observer_->phaseEnds("D step");
  out.loss_d = pass.loss;
  out.real_logits = pass.real_logits;
  out.fake_logits = pass.fake_logits;
  if (options_.augment) {
    // A NaN logit (a step the non-finite guard will skip) counts as 0, not as garbage.
    const auto signs = torch::sign(out.real_logits).nan_to_num(0).sum().to(torch::kInt64);
    out.real_sign_sum = out.real_sign_sum.defined() ? out.real_sign_sum + signs : signs;
    out.real_rows += batch.real.size(0);
  }
}

void GanTrainer::generatorUpdate(const DiscriminatorBatch& batch, const torch::Tensor& fake, StepOutputs& out,
                                 const std::function<void()>& during_reduction) {
  // D only passes gradients through; its weights get none (no wasted products, nothing leaks
  // into D's next update).
  if (observer_) observer_->phaseBegins("G step");
  g_->buckets().beginBackward();
  d_->parameters().setRequiresGrad(false);
  const auto loss = generatorLoss(options_.loss,
                                  networks_.discriminator->forward(seenByD(fake, AugmentationStream::FakeInGStep, batch),
                                                                   batch.fake_labels));
  auto total = loss;
  if (options_.mode_seeking > 0) {
    const auto term = modeSeekingTerm(fake, batch.z, options_.mode_seeking, communicator_);
    total = total + term.loss;
    out.mode_seeking_ratio = term.mean_ratio;
  }
  try {
    total.backward();
  } catch (...) {
    d_->parameters().setRequiresGrad(true);
    throw;
  }
  d_->parameters().setRequiresGrad(true);
  if (during_reduction) during_reduction();
  g_->buckets().finishAndAverage();
  out.g_update_skipped = !allFinite(g_->parameters().grads());
  if (!out.g_update_skipped) {
    g_->optimizer().step();
    if (g_->hasEma()) {
      const double images = double(fake.size(0)) * communicator_.worldSize();
      g_->updateEma(std::pow(0.5, images / options_.ema_halflife_images));
    }
  }
  if (observer_) observer_->phaseEnds("G step");
  out.loss_g = loss.detach();
}

StepOutputs GanTrainer::step(const std::vector<DiscriminatorBatch>& batches, int64_t step_index,
                             const NextBatchSource& next) {
  GAN_CHECK(!batches.empty(), "a training step needs at least one discriminator batch");
  for (const auto& batch : batches) {
    GAN_CHECK(batch.real.size(0) == batch.z.size(0), "real batch (", batch.real.size(0), ") and noise batch (",
              batch.z.size(0), ") differ in size");
  }
  auto& generator = *networks_.generator;
  if (options_.key_forward_randomness) keyForwardRandomness(batches.front().seed, step_index);
  for (parallel::NetworkState* network : networkStates()) network->buckets().beginStep(step_index);
  const bool apply_r1 = options_.r1_gamma > 0 && step_index % options_.r1_interval == 0;
  StepOutputs out;
  torch::Tensor fake;
  for (size_t k = 0; k < batches.size(); ++k) {
    if (k + 1 < batches.size()) {
      torch::NoGradGuard no_grad;  // only D learns from these
      fake = generator.forward(batches[k].z, batches[k].fake_labels);
    } else {
      // The last batch's generator forward serves both updates: D trains on it detached, G
      // trains through it.
      fake = generator.forward(batches[k].z, batches[k].fake_labels);
    }
    discriminatorUpdate(batches[k], fake, apply_r1 && k == 0, out);
  }
  // D's weights are final for this step once its last update is done: the next step's real half
  // can run on them while G's gradients travel.
  std::function<void()> next_real_half;
  const bool next_applies_r1 = options_.r1_gamma > 0 && (step_index + 1) % options_.r1_interval == 0;
  if (next && splitsRealHalf(next_applies_r1)) {
    next_real_half = [this, &next] {
      if (const DiscriminatorBatch* batch = next()) ahead_ = realHalf(*batch);
    };
  }
  generatorUpdate(batches.back(), fake, out, next_real_half);
  for (parallel::NetworkState* network : networkStates()) {
    if (network->hasBuffers()) network->broadcastBuffersFrom(communicator_, 0);
  }
  if (out.d_update_skipped || out.g_update_skipped) {
    out.local_loss_finite = std::isfinite(out.loss_d.item<double>()) && std::isfinite(out.loss_g.item<double>());
  }
  return out;
}

// Draws in a network's forward (dropout, noise inputs) come from torch's default generator. Seeded
// from (seed, step, rank) at each step, they are the same in a resumed run as in one that never
// stopped, with nothing to store; each rank draws its own, as each draws its own rows.
void GanTrainer::keyForwardRandomness(uint64_t seed, int64_t step_index) {
  const uint64_t step_key = splitmix64(static_cast<uint64_t>(step_index) * 0x10000ULL + communicator_.rank());
  torch::manual_seed(splitmix64(seed ^ step_key));
}

StepOutputs GanTrainer::step(const torch::Tensor& real, const torch::Tensor& z) {
  return step({DiscriminatorBatch{real, z, {}}}, 0);
}

StepSummary summarize(const StepOutputs& outputs) {
  torch::NoGradGuard no_grad;
  auto values = torch::stack({outputs.loss_d.reshape({}), outputs.loss_g.reshape({}),
                              torch::sigmoid(outputs.real_logits).mean(), torch::sigmoid(outputs.fake_logits).mean()})
                    .to(torch::kCPU, torch::kFloat64);
  const double* v = values.data_ptr<double>();
  return {v[0], v[1], v[2], v[3]};
}

parallel::CommunicationStats GanTrainer::takeCommunicationStats() {
  auto g = g_->buckets().takeStats();
  auto d = d_->buckets().takeStats();
  return {g.collective_seconds + d.collective_seconds, g.exposed_seconds + d.exposed_seconds,
          g.bytes + d.bytes, g.collectives + d.collectives};
}

}  // namespace gan::train
