#include "train/gan_trainer.h"

#include <cmath>

#include "common/error.h"
#include "train/tensor_buffer.h"

namespace gan::train {

TrainerOptions TrainerOptions::fromConfig(const Config& config) {
  TrainerOptions options;
  options.loss = parseGanLoss(config.train.loss);
  options.adam_g = {config.train.lr_g, config.train.beta1, config.train.beta2};
  options.adam_d = {config.train.lr_d, config.train.beta1, config.train.beta2};
  options.bucket_bytes = static_cast<int64_t>(config.comm.bucket_mb * 1024 * 1024);
  return options;
}

GanTrainer::GanTrainer(models::GanNetworks networks, comm::Communicator& communicator, TrainerOptions options)
    : networks_(std::move(networks)), communicator_(communicator), options_(options) {
  g_params_ = std::make_unique<FlatParameters>(*networks_.generator);
  d_params_ = std::make_unique<FlatParameters>(*networks_.discriminator);
  g_buckets_ = std::make_unique<GradientBuckets>("G", *g_params_, communicator_, options_.bucket_bytes);
  d_buckets_ = std::make_unique<GradientBuckets>("D", *d_params_, communicator_, options_.bucket_bytes);
  g_adam_ = std::make_unique<FlatAdam>(g_params_->values(), g_params_->grads(), options_.adam_g);
  d_adam_ = std::make_unique<FlatAdam>(d_params_->values(), d_params_->grads(), options_.adam_d);
  if (StepObserver* observer = options_.observer) {
    auto forward = [observer](const BucketTiming& timing) { observer->bucketReduced(timing); };
    g_buckets_->setTimingListener(forward);
    d_buckets_->setTimingListener(forward);
  }
}

void GanTrainer::broadcastParameters() {
  if (communicator_.worldSize() == 1) return;
  if (g_params_->values().is_cuda()) torch::cuda::synchronize();
  communicator_.broadcast(bufferViewOf(g_params_->values()), 0);
  communicator_.broadcast(bufferViewOf(d_params_->values()), 0);
}

void GanTrainer::broadcastOptimizerState() {
  if (communicator_.worldSize() == 1) return;
  if (g_params_->values().is_cuda()) torch::cuda::synchronize();
  for (FlatAdam* adam : {g_adam_.get(), d_adam_.get()}) {
    communicator_.broadcast(bufferViewOf(adam->expAvg()), 0);
    communicator_.broadcast(bufferViewOf(adam->expAvgSq()), 0);
    int64_t count = adam->stepCount();
    communicator_.broadcast({&count, 1, comm::ScalarType::Int64, comm::MemorySpace::Host}, 0);
    adam->setStepCount(count);
  }
}

namespace {
// NaN and Inf survive a sum, so one reduction pass tells whether every element is finite.
bool allFinite(const torch::Tensor& flat) { return std::isfinite(flat.sum().item<double>()); }
}  // namespace

StepOutputs GanTrainer::step(const torch::Tensor& real, const torch::Tensor& z) {
  GAN_CHECK(real.size(0) == z.size(0), "real batch (", real.size(0), ") and noise batch (", z.size(0),
            ") differ in size");
  const int64_t b = real.size(0);
  auto& generator = *networks_.generator;
  auto& discriminator = *networks_.discriminator;
  StepOutputs out;

  // One generator forward serves both steps: D trains on it detached, G trains through it.
  auto fake = generator.forward(z);

  // ---- D step: real and fake in one batch (one matrix product per layer, not two).
  if (options_.observer) options_.observer->phaseBegins("D step");
  d_buckets_->beginBackward();
  auto logits = discriminator.forward(torch::cat({real, fake.detach()}, 0));
  auto real_logits = logits.narrow(0, 0, b);
  auto fake_logits = logits.narrow(0, b, b);
  out.loss_d = discriminatorLoss(options_.loss, real_logits, fake_logits);
  out.loss_d.backward();  // D's hooks start the bucket reductions during this call
  d_buckets_->finishAndAverage();
  out.d_update_skipped = !allFinite(d_params_->grads());
  if (!out.d_update_skipped) d_adam_->step();
  if (options_.observer) options_.observer->phaseEnds("D step");

  // ---- G step: D only passes gradients through; its weights get none (no wasted products,
  // nothing leaks into D's next update).
  if (options_.observer) options_.observer->phaseBegins("G step");
  g_buckets_->beginBackward();
  d_params_->setRequiresGrad(false);
  auto g_logits = discriminator.forward(fake);
  out.loss_g = generatorLoss(options_.loss, g_logits);
  try {
    out.loss_g.backward();
  } catch (...) {
    d_params_->setRequiresGrad(true);
    throw;
  }
  d_params_->setRequiresGrad(true);
  g_buckets_->finishAndAverage();
  out.g_update_skipped = !allFinite(g_params_->grads());
  if (!out.g_update_skipped) g_adam_->step();
  if (options_.observer) options_.observer->phaseEnds("G step");

  out.loss_d = out.loss_d.detach();
  out.loss_g = out.loss_g.detach();
  if (out.d_update_skipped || out.g_update_skipped) {
    out.local_loss_finite = std::isfinite(out.loss_d.item<double>()) && std::isfinite(out.loss_g.item<double>());
  }
  out.real_logits = real_logits.detach();
  out.fake_logits = fake_logits.detach();
  return out;
}

StepSummary summarize(const StepOutputs& outputs) {
  torch::NoGradGuard no_grad;
  auto values = torch::stack({outputs.loss_d.reshape({}), outputs.loss_g.reshape({}),
                              torch::sigmoid(outputs.real_logits).mean(), torch::sigmoid(outputs.fake_logits).mean()})
                    .to(torch::kCPU, torch::kFloat64);
  const double* v = values.data_ptr<double>();
  return {v[0], v[1], v[2], v[3]};
}

CommunicationStats GanTrainer::takeCommunicationStats() {
  auto g = g_buckets_->takeStats();
  auto d = d_buckets_->takeStats();
  return {g.collective_seconds + d.collective_seconds, g.exposed_seconds + d.exposed_seconds,
          g.bytes + d.bytes, g.collectives + d.collectives};
}

}  // namespace gan::train
