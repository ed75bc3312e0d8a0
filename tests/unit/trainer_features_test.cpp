// GanTrainer's options beyond one D and one G update: critic steps, the EMA of G, penalties.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "common/error.h"
#include "coordinator/trainer_setup.h"

namespace {
using namespace gan;

Config smallConfig() {
  Config config;
  config.model.arch = "mlp2d";
  config.model.hidden_dim = 8;
  config.model.latent_dim = 3;
  return config;
}

std::vector<train::DiscriminatorBatch> batches(int64_t count, bool mixing = false) {
  std::vector<train::DiscriminatorBatch> out;
  for (int64_t k = 0; k < count; ++k) {
    out.push_back({torch::randn({6, 2}), torch::randn({6, 3}), mixing ? torch::rand({6}) : torch::Tensor()});
  }
  return out;
}

TEST(TrainerFeatures, CriticStepsUpdateDThatManyTimesPerGUpdate) {
  comm::LocalCommunicator alone;
  auto trainer = coordinator::buildTrainer(smallConfig(), {2}, alone, torch::kCPU);
  trainer->step(batches(3), 0);
  trainer->step(batches(3), 1);
  EXPECT_EQ(trainer->discriminatorOptimizer().stepCount(), 6);
  EXPECT_EQ(trainer->generatorOptimizer().stepCount(), 2);
}

TEST(TrainerFeatures, EmaMovesByTheHalfLifeInImages) {
  comm::LocalCommunicator alone;
  Config config = smallConfig();
  config.train.ema_halflife_k = 0.006;  // 6 images: one step of 6 rows halves the distance
  auto trainer = coordinator::buildTrainer(config, {2}, alone, torch::kCPU);
  ASSERT_TRUE(trainer->hasEma());
  const auto before = trainer->generatorParameters().values().clone();
  EXPECT_TRUE(torch::equal(trainer->emaParameters().values(), before));
  trainer->step(batches(1), 0);
  const auto after = trainer->generatorParameters().values();
  ASSERT_FALSE(torch::equal(after, before));
  EXPECT_TRUE(torch::allclose(trainer->emaParameters().values(), 0.5 * before + 0.5 * after, 1e-6, 1e-7));
  // Samples come from the average, which never trains.
  EXPECT_NE(&trainer->samplingGenerator(), &trainer->generator());
  EXPECT_FALSE(trainer->samplingGenerator().is_training());
}

TEST(TrainerFeatures, WganGpNeedsMixingWeightsAndTrains) {
  comm::LocalCommunicator alone;
  Config config = smallConfig();
  config.train.loss = "wgan-gp";
  auto trainer = coordinator::buildTrainer(config, {2}, alone, torch::kCPU);
  EXPECT_THROW(trainer->step(batches(1, false), 0), Error);
  const auto d_before = trainer->discriminatorParameters().values().clone();
  const auto out = trainer->step(batches(2, true), 1);
  EXPECT_FALSE(out.d_update_skipped || out.g_update_skipped);
  EXPECT_FALSE(torch::equal(d_before, trainer->discriminatorParameters().values()));
}

TEST(TrainerFeatures, LazyR1AddsToTheLossOnlyOnItsSteps) {
  comm::LocalCommunicator alone;
  Config config = smallConfig();
  config.train.r1_gamma = 100.0;
  config.train.r1_interval = 2;
  auto with_r1 = coordinator::buildTrainer(config, {2}, alone, torch::kCPU);
  config.train.r1_gamma = 0;
  auto without = coordinator::buildTrainer(config, {2}, alone, torch::kCPU);
  torch::manual_seed(5);
  const auto inputs = batches(1);
  // Step 1 is off the interval: identical losses; step 0 carries the (large) penalty.
  EXPECT_DOUBLE_EQ(with_r1->step(inputs, 1).loss_d.item<double>(), without->step(inputs, 1).loss_d.item<double>());
  EXPECT_GT(with_r1->step(inputs, 2).loss_d.item<double>(), without->step(inputs, 2).loss_d.item<double>());
}

}  // namespace

namespace {

TEST(TrainerFeatures, GradientPenaltyRefusesABatchNormalisedDiscriminator) {
  gan::comm::LocalCommunicator alone;
  gan::ModelConfig model;
  model.arch = "mlp2d";
  model.hidden_dim = 8;
  model.batchnorm = "local";
  gan::models::NetworkInputs inputs;
  inputs.sample_shape = {2};
  gan::train::TrainerOptions options;
  options.loss = gan::train::GanLoss::WganGp;
  EXPECT_THROW(gan::train::GanTrainer(gan::models::buildGanNetworks(model, inputs), alone, options), gan::Error);
  // Built for a penalty (what buildTrainer does), D leaves batch norm out and training proceeds.
  inputs.gradient_penalty = true;
  EXPECT_NO_THROW(gan::train::GanTrainer(gan::models::buildGanNetworks(model, inputs), alone, options));
}

}  // namespace
