// PowerSGD across ranks: the arithmetic against closed forms computed in float64, error
// feedback carrying what each step left out, and a resume that continues bit for bit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "checkpoint/checkpoint.h"
#include "checkpoint/resume.h"
#include "comm/tensor_buffer.h"
#include "run/step_inputs.h"
#include "datasets/gaussian_mixture.h"
#include "data/sample_order.h"
#include "mpi/test_world.h"
#include "support/small_trainer.h"
#include "support/test_files.h"
#include "parallel/powersgd_reducer.h"

namespace {
using namespace gan;

// PowerSGD's state as the network lists it: the error feedback (this rank's) and Q (replicated).
torch::Tensor errorFeedbackOf(parallel::NetworkState& network) { return network.buckets().reduction().perRankState(); }
torch::Tensor warmStartOf(parallel::NetworkState& network) {
  return network.buckets().reduction().replicatedState().at(0).second;
}

// A deterministic "gradient" for (rank, step): different on every rank and every step.
torch::Tensor gradientOf(int rank, int step, torch::IntArrayRef sizes) {
  auto generator = at::detail::createCPUGenerator(uint64_t(1000 * rank + step + 7));
  return torch::randn(sizes, generator, torch::kFloat64);
}

// The mean over ranks of gradientOf(k, step), in float64.
torch::Tensor meanOverRanks(int world, int step, torch::IntArrayRef sizes) {
  auto sum = torch::zeros(sizes, torch::kFloat64);
  for (int k = 0; k < world; ++k) sum += gradientOf(k, step, sizes);
  return sum / world;
}

// PowerSGD's step in closed form: P spans mean(M) Q, so P Q^T is the projection of mean(M) onto
// that span, whatever orthonormal basis P is.
torch::Tensor projectionOnto(const torch::Tensor& mean, const torch::Tensor& q) {
  const auto basis = std::get<0>(torch::linalg_qr(mean.matmul(q)));
  return basis.matmul(basis.t().matmul(mean));
}

double relativeError(const torch::Tensor& actual, const torch::Tensor& expected) {
  return ((actual.to(torch::kFloat64) - expected).norm() / expected.norm()).item<double>();
}

struct LinearLayer {
  torch::nn::Linear module{torch::nn::LinearOptions(40, 30)};
  parallel::FlatParameters flat{*module};
  torch::Tensor weightGrad() { return module->weight.grad(); }
  torch::Tensor biasGrad() { return module->bias.grad(); }
};

TEST(PowerSgd, TwoStepsMatchTheClosedFormWithErrorFeedback) {
  auto& world = test_support::world();
  const int n = world.worldSize(), r = world.rank();
  LinearLayer layer;
  parallel::PowerSgdReducer reducer("test", layer.flat, /*rank=*/3, /*seed=*/5);
  ASSERT_EQ(reducer.compressedMatrices(), 1);  // the 30 x 40 weight; the bias travels exactly
  ASSERT_EQ(reducer.exactValues(), 30);
  EXPECT_EQ(reducer.wireValues(), 3 * (30 + 40) + 30);
  torch::NoGradGuard no_grad;

  // Step 0: M_k = G_k0 on every rank k.
  const auto q0 = reducer.warmStart().view({40, 3}).to(torch::kFloat64);
  layer.weightGrad().copy_(gradientOf(r, 0, {30, 40}));
  layer.biasGrad().copy_(gradientOf(r, 100, {30}));
  reducer.averageGradients(world);
  const auto mean0 = meanOverRanks(n, 0, {30, 40});
  const auto applied0 = projectionOnto(mean0, q0);
  EXPECT_LT(relativeError(layer.weightGrad(), applied0), 1e-5);
  EXPECT_LT(relativeError(layer.biasGrad(), meanOverRanks(n, 100, {30})), 1e-6);
  const auto error0 = gradientOf(r, 0, {30, 40}) - applied0;
  EXPECT_LT(relativeError(reducer.error().view({30, 40}), error0), 1e-5);
  // The compression is real: rank 3 of a random 30 x 40 mean leaves most of it out.
  EXPECT_GT(relativeError(layer.weightGrad(), mean0), 0.3);

  // Step 1 warm-starts from the Q step 0 left, on M_k = G_k1 + e_k0; the mean of the errors is
  // mean0 - applied0, since each rank keeps its own M minus the common approximation.
  const auto q1 = reducer.warmStart().view({40, 3}).to(torch::kFloat64);
  layer.weightGrad().copy_(gradientOf(r, 1, {30, 40}));
  layer.biasGrad().copy_(gradientOf(r, 101, {30}));
  reducer.averageGradients(world);
  const auto mean1 = meanOverRanks(n, 1, {30, 40}) + (mean0 - applied0);
  const auto applied1 = projectionOnto(mean1, q1);
  EXPECT_LT(relativeError(layer.weightGrad(), applied1), 1e-4);
  EXPECT_LT(relativeError(reducer.error().view({30, 40}), gradientOf(r, 1, {30, 40}) + error0 - applied1), 1e-4);
  // Q is replicated state: every rank holds the same bits.
  auto q_max = reducer.warmStart().clone(), q_min = reducer.warmStart().clone();
  world.allreduce(comm::bufferViewOf(q_max), {comm::ReduceOp::Max});
  world.allreduce(comm::bufferViewOf(q_min), {comm::ReduceOp::Min});
  EXPECT_TRUE(torch::equal(q_max, q_min));
}

// Error feedback loses nothing: after T steps, what was applied plus the ranks' mean error
// equals the sum of the mean gradients.
TEST(PowerSgd, ErrorFeedbackCarriesEverythingTheApproximationLeftOut) {
  auto& world = test_support::world();
  const int n = world.worldSize(), r = world.rank();
  LinearLayer layer;
  parallel::PowerSgdReducer reducer("test", layer.flat, /*rank=*/2, /*seed=*/9);
  torch::NoGradGuard no_grad;
  auto applied = torch::zeros({30, 40}, torch::kFloat64);
  auto exact = torch::zeros({30, 40}, torch::kFloat64);
  for (int step = 0; step < 6; ++step) {
    layer.weightGrad().copy_(gradientOf(r, step, {30, 40}));
    layer.biasGrad().zero_();
    reducer.averageGradients(world);
    applied += layer.weightGrad().to(torch::kFloat64);
    exact += meanOverRanks(n, step, {30, 40});
  }
  auto mean_error = reducer.error().clone();
  world.allreduce(comm::bufferViewOf(mean_error), {comm::ReduceOp::Average});
  EXPECT_LT(relativeError(applied + mean_error.view({30, 40}).to(torch::kFloat64), exact), 1e-5);
  EXPECT_GT(mean_error.norm().item<double>(), 0.1);  // something was left out, and carried
}

// A NaN on one rank reaches every rank (the trainer skips the update) and leaves PowerSGD's
// state as it was, so the next step is clean again.
TEST(PowerSgd, NonFiniteStepLeavesTheStateUntouched) {
  auto& world = test_support::world();
  const int n = world.worldSize(), r = world.rank();
  LinearLayer layer;
  parallel::PowerSgdReducer reducer("test", layer.flat, /*rank=*/2, /*seed=*/3);
  torch::NoGradGuard no_grad;
  layer.weightGrad().copy_(gradientOf(r, 0, {30, 40}));
  reducer.averageGradients(world);
  const auto q = reducer.warmStart().clone(), error = reducer.error().clone();
  layer.weightGrad().copy_(gradientOf(r, 1, {30, 40}));
  if (r == n - 1) layer.weightGrad()[3][7] = std::nan("");
  reducer.averageGradients(world);
  EXPECT_FALSE(torch::isfinite(layer.weightGrad()).all().item<bool>());
  EXPECT_TRUE(torch::equal(reducer.warmStart(), q));
  EXPECT_TRUE(torch::equal(reducer.error(), error));
  layer.weightGrad().copy_(gradientOf(r, 2, {30, 40}));
  reducer.averageGradients(world);
  EXPECT_TRUE(torch::isfinite(layer.weightGrad()).all().item<bool>());
}

// A run with PowerSGD resumed from a checkpoint continues exactly: the warm start and every
// rank's error feedback travel through the checkpoint (written by rank 0 alone).
TEST(PowerSgd, ResumeContinuesBitForBit) {
  auto& world = test_support::world();
  static const auto ring = datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  Config config = test_support::smallTrainerConfig();
  config.model.hidden_dim = 32;
  config.comm.compress = gan::GradientCompression::PowerSgd;
  config.comm.powersgd_rank = 2;
  std::string dir = world.rank() == 0 ? test_support::freshTempDir("powersgd_resume") : "";
  char path[4096] = {0};
  std::snprintf(path, sizeof path, "%s", dir.c_str());
  world.broadcast({path, sizeof path, comm::ScalarType::UInt8, comm::MemorySpace::Host}, 0);
  config.output.dir = path;

  const int64_t per_rank = 8, checkpoint_step = 4, steps = 9;
  const int n = world.worldSize();
  data::GlobalSampleOrder order(ring.size(), per_rank * n, uint64_t(config.train.seed));
  const auto rows = data::rowsForRank(world.rank(), n, per_rank);
  const auto input_settings = run::StepInputSettings::fromConfig(config, ring);
  auto run = [&](train::GanTrainer& trainer, int64_t from, int64_t to) {
    for (int64_t step = from; step < to; ++step) {
      trainer.step(run::stepInputs(ring, order, rows, input_settings, step, torch::kCPU), step);
    }
  };

  auto straight = test_support::buildSmallTrainer(config, world);
  straight->broadcastState();
  run(*straight, 0, checkpoint_step);
  straight->gatherPerRankState();
  if (world.rank() == 0) {
    checkpoint::TrainingPosition position;
    position.step = checkpoint_step;
    position.world_size = n;
    position.global_batch = per_rank * n;
    position.seed = config.train.seed;
    position.sample_shape = {2};
    checkpoint::writeCheckpoint(RunDirectory(config.output.dir), position, *straight, config);
  }
  world.barrier();
  run(*straight, checkpoint_step, steps);

  Config other_weights = config;
  other_weights.train.seed = config.train.seed + 1 + world.rank();  // the resume must overwrite all of it
  auto resumed = test_support::buildSmallTrainer(other_weights, world);
  const auto storage = checkpoint::probeCheckpointStorage(RunDirectory(config.output.dir), world);
  const auto point = checkpoint::resumeIfRequested(config, *resumed, world, storage);
  ASSERT_TRUE(point.resumed);
  ASSERT_EQ(point.position.step, checkpoint_step);
  run(*resumed, checkpoint_step, steps);

  const auto straight_networks = straight->networkStates();
  const auto resumed_networks = resumed->networkStates();
  for (size_t i = 0; i < straight_networks.size(); ++i) {
    auto& a = *straight_networks[i];
    auto& b = *resumed_networks[i];
    EXPECT_TRUE(torch::equal(a.parameters().values(), b.parameters().values())) << a.name();
    EXPECT_TRUE(torch::equal(errorFeedbackOf(a), errorFeedbackOf(b))) << a.name();
    EXPECT_TRUE(torch::equal(warmStartOf(a), warmStartOf(b))) << a.name();
    EXPECT_GT(errorFeedbackOf(a).norm().item<double>(), 0.0) << a.name();
  }
  // Without the error feedback the continuation differs: the test can tell.
  auto forgetful = test_support::buildSmallTrainer(other_weights, world);
  checkpoint::resumeIfRequested(config, *forgetful, world, storage);
  for (auto* network : forgetful->networkStates()) errorFeedbackOf(*network).zero_();
  run(*forgetful, checkpoint_step, steps);
  EXPECT_FALSE(torch::equal(forgetful->discriminatorState().parameters().values(),
                            straight->discriminatorState().parameters().values()));
}

// PowerSGD's warm-up: the first steps reduce exactly (the same bits as --comm.compress=none),
// leaving Q and the error feedback untouched; compression starts at the step after.
TEST(PowerSgd, WarmUpStepsAreExactThenCompressionStarts) {
  auto& world = test_support::world();
  static const auto ring = datasets::GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  Config exact = test_support::smallTrainerConfig();
  exact.model.hidden_dim = 32;
  Config warming = exact;
  warming.comm.compress = gan::GradientCompression::PowerSgd;
  warming.comm.powersgd_rank = 2;
  warming.comm.powersgd_warmup_steps = 3;
  const int64_t per_rank = 8;
  const int n = world.worldSize();
  data::GlobalSampleOrder order(ring.size(), per_rank * n, uint64_t(exact.train.seed));
  const auto rows = data::rowsForRank(world.rank(), n, per_rank);
  const auto input_settings = run::StepInputSettings::fromConfig(exact, ring);
  auto plain = test_support::buildSmallTrainer(exact, world);
  auto compressed = test_support::buildSmallTrainer(warming, world);
  plain->broadcastState();
  compressed->broadcastState();
  auto& d = compressed->discriminatorState();
  ASSERT_EQ(std::string(d.buckets().reduction().stateName()), "powersgd");
  const auto q_at_start = warmStartOf(d).clone();
  for (int64_t step = 0; step < 4; ++step) {
    const auto inputs = run::stepInputs(ring, order, rows, input_settings, step, torch::kCPU);
    plain->step(inputs, step);
    compressed->step(inputs, step);
    const bool same = torch::equal(plain->discriminatorState().parameters().values(),
                                   compressed->discriminatorState().parameters().values()) &&
                      torch::equal(plain->generatorState().parameters().values(),
                                   compressed->generatorState().parameters().values());
    if (step < 3) {
      EXPECT_TRUE(same) << "warm-up step " << step;
      EXPECT_TRUE(torch::equal(warmStartOf(d), q_at_start)) << step;
      EXPECT_EQ(errorFeedbackOf(d).abs().max().item<float>(), 0.0f) << step;
    } else {
      EXPECT_FALSE(same) << "step " << step << " should be compressed";
      EXPECT_FALSE(torch::equal(warmStartOf(d), q_at_start));
      EXPECT_GT(errorFeedbackOf(d).norm().item<double>(), 0.0);
    }
  }
}

}  // namespace
