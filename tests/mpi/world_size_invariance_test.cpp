// World-size invariance: N ranks x b per rank follow the same trajectory as 1 process x N*b.
// Each run trains N ranks, then rank 0 replays the same steps alone with the whole global
// batch and compares the losses of every step and every parameter at the end.
//
// Two precisions, two claims. In float64 the runs differ only by summation order, and they
// agree to 1e-9 after 50 steps: the algorithmic guarantee (same samples, same noise, same
// mean). In float32 the first steps agree within 1e-4, but GAN training with Adam can
// amplify rounding over tens of steps: Adam turns a gradient element whose true value is near
// zero (cancellation, computed as +-1e-9) into an update of a sizeable fraction of the learning
// rate, so float32 runs may part slowly, as any two float32 runs with different summation
// orders do. docs/checkpoints.md reports how far.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "comm/local_communicator.h"
#include "run/step_inputs.h"
#include "train/trainer_setup.h"
#include "datasets/gaussian_mixture.h"
#include "datasets/image_dataset.h"
#include "mpi/test_world.h"
#include "train/ada_controller.h"
#include "train/gan_trainer.h"

namespace {
using namespace gan;

constexpr uint64_t kSeed = 1234;

// Real Fashion-MNIST: the invariance is asserted on the data the product trains on.
const datasets::Dataset& fashionMnist() {
  static const auto dataset = datasets::ImageDataset::loadMnistFormat(datasets::defaultDataDirectory(gan::DataSetName::FashionMnist));
  return dataset;
}

// With its labels, for the conditional models.
const datasets::Dataset& labelledFashionMnist() {
  static const auto dataset = datasets::ImageDataset::loadMnistFormat(
      datasets::defaultDataDirectory(gan::DataSetName::FashionMnist), gan::DataSplit::Train, /*with_labels=*/true);
  return dataset;
}

struct Trajectory {
  std::vector<double> loss_d, loss_g;  // global means per step
  torch::Tensor g_values, d_values, ema_values;
  std::vector<double> ada_p;  // the augmentation probability of each step (ADA runs)
  int64_t overlapped_real_halves = 0;
};

// How the steps are fed: as training feeds them (the next step's first batch offered during G's
// reduction, so --comm.overlap_next_step can run its real half early), or one step at a time.
enum class Feeding { Overlapped, OneAtATime };

// Parameters are created in `dtype` (the default dtype while the trainer is built).
std::unique_ptr<train::GanTrainer> buildIn(torch::Dtype dtype, const Config& config, const datasets::Dataset& dataset,
                                           comm::Communicator& communicator) {
  const auto previous = torch::get_default_dtype();
  torch::set_default_dtype(caffe2::TypeMeta::fromScalarType(dtype));
  auto trainer = train::buildTrainer(config, dataset.sampleShape(), communicator, torch::kCPU,
                                     run::StepInputSettings::fromConfig(config, dataset).classes());
  torch::set_default_dtype(previous);
  return trainer;
}

Trajectory train(comm::Communicator& communicator, Config config, const datasets::Dataset& dataset, int64_t per_rank,
                 int64_t steps, torch::Dtype dtype, Feeding feeding = Feeding::Overlapped) {
  config.train.seed = int64_t(kSeed) + communicator.rank();  // weights differ per rank: the broadcast must fix them
  auto trainer = buildIn(dtype, config, dataset, communicator);
  trainer->broadcastState();
  config.train.seed = int64_t(kSeed);  // the data order and the noise are the job's
  const auto input_settings = run::StepInputSettings::fromConfig(config, dataset);
  const int world = communicator.worldSize();
  data::GlobalSampleOrder order(dataset.size(), per_rank * world, kSeed);
  const auto rows = data::rowsForRank(communicator.rank(), world, per_rank);
  Trajectory trajectory;
  // ADA: p moves on the global sums of each step's real-logit signs (training carries them in
  // its step agreement; here a reduction of their own).
  std::optional<train::AdaController> ada;
  if (config.train.ada_target > 0) {
    ada.emplace(train::AdaSettings{config.train.ada_target, config.train.ada_interval, config.train.ada_kimg,
                                   per_rank * world});
  }
  run::StepInputQueue inputs([&](int64_t step) {
    auto batches = run::stepInputs(dataset, order, rows, input_settings, step, torch::kCPU);
    for (auto& batch : batches) {
      batch.real = batch.real.to(dtype);
      batch.z = batch.z.to(dtype);
    }
    return batches;
  });
  for (int64_t step = 0; step < steps; ++step) {
    const auto batches = inputs.take(step);
    if (ada) {
      trainer->setAugmentationProbability(ada->p());
      trajectory.ada_p.push_back(ada->p());
    }
    const auto next = feeding == Feeding::Overlapped ? inputs.nextAfter(step, steps) : train::NextBatchSource();
    const auto out = trainer->step(batches, step, next);
    if (ada) {
      int64_t sums[2] = {out.real_sign_sum.item<int64_t>(), out.real_rows};
      communicator.allreduce({sums, 2, comm::ScalarType::Int64, comm::MemorySpace::Host});
      ada->observe(step + 1, sums[0], sums[1]);
    }
    double losses[2] = {out.loss_d.item<double>(), out.loss_g.item<double>()};
    communicator.allreduce({losses, 2, comm::ScalarType::Float64, comm::MemorySpace::Host});
    trajectory.loss_d.push_back(losses[0] / world);
    trajectory.loss_g.push_back(losses[1] / world);
  }
  trajectory.g_values = trainer->generatorState().parameters().values().clone();
  trajectory.d_values = trainer->discriminatorState().parameters().values().clone();
  if (trainer->hasEma()) trajectory.ema_values = trainer->generatorState().emaParameters().values().clone();
  trajectory.overlapped_real_halves = trainer->overlappedRealHalves();
  return trajectory;
}

double relativeDifference(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm()).item<double>();
}

Config referenceConfig(double bucket_mb) {
  Config config;  // the reference MLP, nonsaturating loss
  config.comm.bucket_mb = bucket_mb;
  return config;
}

void expectInvariance(const Config& config, const datasets::Dataset& dataset, int64_t per_rank, int64_t steps,
                      torch::Dtype dtype, double tolerance) {
  auto& world = test_support::world();
  // Small buckets: several reductions per backward, launched from the hooks.
  Config distributed_config = config;
  distributed_config.comm.bucket_mb = 1.0 / 16;
  const auto distributed = train(world, distributed_config, dataset, per_rank, steps, dtype);
  if (world.rank() != 0) return;
  comm::LocalCommunicator alone;
  const auto single = train(alone, config, dataset, per_rank * world.worldSize(), steps, dtype);
  // The measured distance, printed for the docs' tolerance tables.
  double worst_loss = 0;
  for (int64_t s = 0; s < steps; ++s) {
    worst_loss = std::max({worst_loss, std::abs(distributed.loss_d[s] - single.loss_d[s]) / std::abs(single.loss_d[s]),
                           std::abs(distributed.loss_g[s] - single.loss_g[s]) / std::abs(single.loss_g[s])});
  }
  std::printf("%d ranks vs 1 process, %lld steps: losses within %.2e, G %.2e, D %.2e (relative; tolerance %.0e)\n",
              world.worldSize(), static_cast<long long>(steps), worst_loss,
              relativeDifference(distributed.g_values, single.g_values),
              relativeDifference(distributed.d_values, single.d_values), tolerance);
  for (int64_t s = 0; s < steps; ++s) {
    ASSERT_NEAR(distributed.loss_d[s], single.loss_d[s], tolerance * std::abs(single.loss_d[s])) << "loss_d, step " << s;
    ASSERT_NEAR(distributed.loss_g[s], single.loss_g[s], tolerance * std::abs(single.loss_g[s])) << "loss_g, step " << s;
  }
  EXPECT_EQ(distributed.ada_p, single.ada_p);  // integer sums: exactly the same p at every step
  EXPECT_LT(relativeDifference(distributed.g_values, single.g_values), tolerance);
  EXPECT_LT(relativeDifference(distributed.d_values, single.d_values), tolerance);
  if (single.ema_values.defined()) EXPECT_LT(relativeDifference(distributed.ema_values, single.ema_values), tolerance);
  // The trajectory did move: the comparison is not between two untrained models.
  EXPECT_NE(single.loss_d.front(), single.loss_d.back());
}

TEST(WorldSizeInvariance, Float64FiftyStepsAgreeToRounding) {
  expectInvariance(referenceConfig(25), fashionMnist(), 8, 50, torch::kFloat64, 1e-9);
}

TEST(WorldSizeInvariance, Float32TenStepsAgreeWithinTolerance) {
  expectInvariance(referenceConfig(25), fashionMnist(), 64, 10, torch::kFloat32, 1e-4);
}

// bf16 products (--train.precision=bf16): each rank rounds its own partial sums of the weight
// gradients to bf16 (8 significant bits) before the fp32 average, where one process rounds the
// whole batch's sum once, so the runs part by bf16 rounding, not float32's: the claim is 2e-3
// over five steps (measured at 2-4 ranks: losses within 5.2e-5, weights within 4.6e-4 relative,
// where float32 keeps 1e-6 and 1.5e-5; docs/precision.md), while the fp32 claims above stay.
TEST(WorldSizeInvariance, Bf16FiveStepsAgreeWithinBf16Tolerance) {
  Config config = referenceConfig(25);
  config.train.precision = gan::TrainPrecision::Bf16;
  expectInvariance(config, fashionMnist(), 64, 5, torch::kFloat32, 2e-3);
}

// The gradient penalty is a double backward computed on each rank's own rows; averaging its
// weight gradients must give what one process computes on the whole batch.
TEST(WorldSizeInvariance, WganGradientPenaltyMatchesOneProcess) {
  Config config = referenceConfig(25);
  config.model.hidden_dim = 64;
  config.train.loss = gan::GanLoss::WganGp;
  config.train.d_steps = 2;
  expectInvariance(config, fashionMnist(), 6, 15, torch::kFloat64, 1e-9);
}

// Synchronised batch norm: statistics and their gradients over the global batch, so N ranks
// follow one process exactly (and the EMA of G with them).
TEST(WorldSizeInvariance, SyncBatchNormMatchesOneProcess) {
  Config config = referenceConfig(25);
  config.model.hidden_dim = 64;
  config.model.batchnorm = gan::BatchNormPolicy::Sync;
  config.train.ema_halflife_k = 0.5;
  expectInvariance(config, fashionMnist(), 6, 15, torch::kFloat64, 1e-9);
}

// Conditional models: the generated rows' classes are drawn per global row like the noise, the
// real rows bring their own labels, so N ranks still follow one process exactly.
TEST(WorldSizeInvariance, ConditionalMlpMatchesOneProcess) {
  Config config = referenceConfig(25);
  config.model.hidden_dim = 64;
  config.model.conditional = true;
  config.train.d_steps = 2;
  config.train.ema_halflife_k = 0.5;
  expectInvariance(config, labelledFashionMnist(), 6, 15, torch::kFloat64, 1e-9);
}

// The projection discriminator on convolutional features, with WGAN-GP (the interpolated rows
// are judged as of their real row's class) and R1 on the real rows.
// A small conditional DCGAN (4 channels, 16-wide z), the base of the convolutional conditional cases.
Config smallConditionalDcgan() {
  Config config = referenceConfig(25);
  config.model.arch = gan::ModelArch::Dcgan;
  config.model.width = 4;
  config.model.latent_dim = 16;
  config.model.conditional = true;
  return config;
}

TEST(WorldSizeInvariance, ConditionalDcganWithPenaltiesMatchesOneProcess) {
  Config config = smallConditionalDcgan();
  config.train.loss = gan::GanLoss::WganGp;
  config.train.r1_gamma = 1.0;
  config.train.r1_interval = 2;
  expectInvariance(config, labelledFashionMnist(), 4, 6, torch::kFloat64, 1e-9);
}

// The mode-seeking term: a pair's rows (2i, 2i+1) sit on one rank (even rows per rank) and share
// a class drawn for the pair's first global row, and the term's mean ratio is the global
// batch's (one allreduce), so N ranks still follow one process; with d_steps 2 and sync batch
// norm in G and D, whose own reductions run in the same G step.
TEST(WorldSizeInvariance, ModeSeekingConditionalDcganMatchesOneProcess) {
  Config config = smallConditionalDcgan();
  config.model.batchnorm = gan::BatchNormPolicy::Sync;
  config.train.mode_seeking = 1.0;
  config.train.d_steps = 2;
  expectInvariance(config, labelledFashionMnist(), 4, 6, torch::kFloat64, 1e-9);
}

TEST(WorldSizeInvariance, ConvolutionalSyncBatchNormMatchesOneProcess) {
  Config config = referenceConfig(25);
  config.model.arch = gan::ModelArch::Dcgan;
  config.model.width = 4;
  config.model.latent_dim = 16;
  config.model.batchnorm = gan::BatchNormPolicy::Sync;
  expectInvariance(config, fashionMnist(), 4, 6, torch::kFloat64, 1e-9);
}

// Lazy R1 (a double backward on real rows) and several critic steps per G step, on 2-D points.
TEST(WorldSizeInvariance, R1AndCriticStepsOnPointsMatchOneProcess) {
  static const auto ring = datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  Config config = referenceConfig(25);
  config.data.name = gan::DataSetName::Ring8;
  config.model.arch = gan::ModelArch::Mlp2d;
  config.model.hidden_dim = 32;
  config.model.latent_dim = 8;
  config.train.r1_gamma = 1.0;
  config.train.r1_interval = 4;
  config.train.d_steps = 3;
  expectInvariance(config, ring, 8, 20, torch::kFloat64, 1e-9);
}

// Adaptive augmentation: every image D sees is augmented by draws keyed to its global row, and p
// moves on global integer sums, so N ranks follow one process; R1 differentiates through the
// augmentation of the real rows.
TEST(WorldSizeInvariance, AdaptiveAugmentationMatchesOneProcess) {
  Config config = referenceConfig(25);
  config.model.hidden_dim = 64;
  config.train.r1_gamma = 1.0;
  config.train.r1_interval = 2;
  config.train.ada_target = 0.05;
  config.train.ada_interval = 1;
  config.train.ada_kimg = 0.5;  // fast: p moves by global batch / 500 per step
  expectInvariance(config, fashionMnist(), 8, 20, torch::kFloat64, 1e-9);
  // The comparison covered augmented steps: p did rise (checked on the one-process run).
  comm::LocalCommunicator alone;
  const auto run = train(alone, config, fashionMnist(), 8, 20, torch::kFloat64);
  EXPECT_GT(*std::max_element(run.ada_p.begin(), run.ada_p.end()), 0.1);
}

// Local batch norm normalises each rank's rows alone: what it costs is exactly this invariance.
TEST(WorldSizeInvariance, LocalBatchNormDependsOnTheWorldSize) {
  auto& world = test_support::world();
  if (world.worldSize() == 1) GTEST_SKIP() << "needs 2 or more ranks";
  Config config = referenceConfig(25);
  config.model.hidden_dim = 64;
  config.model.batchnorm = gan::BatchNormPolicy::Local;
  const auto distributed = train(world, config, fashionMnist(), 6, 3, torch::kFloat64);
  if (world.rank() != 0) return;
  comm::LocalCommunicator alone;
  const auto single = train(alone, config, fashionMnist(), 6 * world.worldSize(), 3, torch::kFloat64);
  EXPECT_GT(relativeDifference(distributed.g_values, single.g_values), 1e-6);
}

// Overlapping the next step's real half with G's reduction reorders work, not arithmetic: the
// trajectory is the same bits as feeding one step at a time, on every rank, at any world size.
void expectOverlapChangesNothing(const Config& config, const datasets::Dataset& dataset, int64_t per_rank, int64_t steps,
                                 int64_t expected_overlaps) {
  auto& world = test_support::world();
  const auto overlapped = train(world, config, dataset, per_rank, steps, torch::kFloat32, Feeding::Overlapped);
  const auto plain = train(world, config, dataset, per_rank, steps, torch::kFloat32, Feeding::OneAtATime);
  EXPECT_EQ(overlapped.overlapped_real_halves, expected_overlaps);
  EXPECT_EQ(plain.overlapped_real_halves, 0);
  EXPECT_EQ(overlapped.loss_d, plain.loss_d);
  EXPECT_EQ(overlapped.loss_g, plain.loss_g);
  EXPECT_TRUE(torch::equal(overlapped.g_values, plain.g_values));
  EXPECT_TRUE(torch::equal(overlapped.d_values, plain.d_values));
  if (plain.ema_values.defined()) EXPECT_TRUE(torch::equal(overlapped.ema_values, plain.ema_values));
  EXPECT_NE(plain.loss_d.front(), plain.loss_d.back());
}

Config overlapping(Config config) {
  config.comm.overlap_next_step = true;
  return config;
}

TEST(OverlapNextStep, ReferenceMlpIsBitForBitThePlainOrder) {
  Config config = overlapping(referenceConfig(1.0 / 16));  // several buckets, launched from the hooks
  config.train.ema_halflife_k = 0.5;
  expectOverlapChangesNothing(config, fashionMnist(), 16, 12, 11);
}

// Lazy R1 every third step is not overlapped (its penalty needs the real rows' own backward), and
// with two critic steps only the first D update of a step can run ahead; hinge loss.
TEST(OverlapNextStep, R1StepsAndCriticStepsKeepThePlainOrder) {
  static const auto ring = datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  Config config = overlapping(referenceConfig(25));
  config.data.name = gan::DataSetName::Ring8;
  config.model.arch = gan::ModelArch::Mlp2d;
  config.model.hidden_dim = 32;
  config.model.latent_dim = 8;
  config.train.loss = gan::GanLoss::Hinge;
  config.train.r1_gamma = 1.0;
  config.train.r1_interval = 3;
  config.train.d_steps = 2;
  // Steps 1..11 can take a real half computed ahead, except the R1 steps 3, 6 and 9.
  expectOverlapChangesNothing(config, ring, 8, 12, 8);
}

// With the halves as separate passes, N ranks still follow one process with the whole batch.
TEST(OverlapNextStep, Float64TwentyStepsAgreeWithOneProcess) {
  expectInvariance(overlapping(referenceConfig(25)), fashionMnist(), 8, 20, torch::kFloat64, 1e-9);
}

// Where the real half depends on more than D's weights and the real rows, nothing runs ahead.
TEST(OverlapNextStep, BatchNormAndAugmentationAreNotOverlapped) {
  auto& world = test_support::world();
  Config batch_norm = overlapping(referenceConfig(25));
  batch_norm.model.hidden_dim = 32;
  batch_norm.model.batchnorm = gan::BatchNormPolicy::Sync;
  EXPECT_EQ(train(world, batch_norm, fashionMnist(), 4, 3, torch::kFloat32).overlapped_real_halves, 0);
  Config augmented = overlapping(referenceConfig(25));
  augmented.model.hidden_dim = 32;
  augmented.train.ada_target = 0.6;
  EXPECT_EQ(train(world, augmented, fashionMnist(), 4, 3, torch::kFloat32).overlapped_real_halves, 0);
}

TEST(WorldSizeInvariance, BucketSizeChangesAtMostRounding) {
  auto& world = test_support::world();
  const auto small = train(world, referenceConfig(1.0 / 64), fashionMnist(), 8, 20, torch::kFloat32);
  const auto large = train(world, referenceConfig(64), fashionMnist(), 8, 20, torch::kFloat32);
  // MPI picks its allreduce algorithm by message size, so with 3 ranks the order of the
  // per-element sums (and only that) can change with the bucket boundaries.
  EXPECT_LT(relativeDifference(small.g_values, large.g_values), 1e-5);
  EXPECT_LT(relativeDifference(small.d_values, large.d_values), 1e-5);
  if (world.worldSize() <= 2) {  // one addition per element: no order to change
    EXPECT_TRUE(torch::equal(small.g_values, large.g_values));
    EXPECT_TRUE(torch::equal(small.d_values, large.d_values));
  }
}

}  // namespace
