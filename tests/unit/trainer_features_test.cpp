// GanTrainer's options beyond one D and one G update: critic steps, the EMA of G, penalties.
#include <gtest/gtest.h>

#include <algorithm>

#include "comm/local_communicator.h"
#include "common/error.h"
#include "support/small_trainer.h"

namespace {
using namespace gan;

using test_support::buildSmallTrainer;
using test_support::smallTrainerConfig;

std::vector<train::DiscriminatorBatch> batches(int64_t count, bool mixing = false) {
  std::vector<train::DiscriminatorBatch> out;
  for (int64_t k = 0; k < count; ++k) {
    out.push_back({torch::randn({6, 2}), torch::randn({6, 3}), mixing ? torch::rand({6}) : torch::Tensor()});
  }
  return out;
}

TEST(TrainerFeatures, CriticStepsUpdateDThatManyTimesPerGUpdate) {
  comm::LocalCommunicator alone;
  auto trainer = buildSmallTrainer(smallTrainerConfig(), alone);
  trainer->step(batches(3), 0);
  trainer->step(batches(3), 1);
  EXPECT_EQ(trainer->discriminatorState().optimizer().stepCount(), 6);
  EXPECT_EQ(trainer->generatorState().optimizer().stepCount(), 2);
}

TEST(TrainerFeatures, EmaMovesByTheHalfLifeInImages) {
  comm::LocalCommunicator alone;
  Config config = smallTrainerConfig();
  config.train.ema_halflife_k = 0.006;  // 6 images: one step of 6 rows halves the distance
  auto trainer = buildSmallTrainer(config, alone);
  ASSERT_TRUE(trainer->hasEma());
  const auto before = trainer->generatorState().parameters().values().clone();
  EXPECT_TRUE(torch::equal(trainer->generatorState().emaParameters().values(), before));
  trainer->step(batches(1), 0);
  const auto after = trainer->generatorState().parameters().values();
  ASSERT_FALSE(torch::equal(after, before));
  EXPECT_TRUE(torch::allclose(trainer->generatorState().emaParameters().values(), 0.5 * before + 0.5 * after, 1e-6, 1e-7));
  // Samples come from the average, which never trains.
  EXPECT_NE(&trainer->samplingGenerator(), &trainer->generator());
  EXPECT_FALSE(trainer->samplingGenerator().is_training());
}

// The one list of replicated state names every tensor a replica holds, and its entries are the
// live state (the broadcasts, the replica check and checkpoints write through them).
TEST(TrainerFeatures, ReplicatedStateListsWeightsOptimizerStepCountAndEma) {
  comm::LocalCommunicator alone;
  Config config = smallTrainerConfig();
  config.train.ema_halflife_k = 1;
  auto trainer = buildSmallTrainer(config, alone);
  trainer->step(batches(1), 0);
  auto& g = trainer->generatorState();
  std::vector<std::string> names;
  int64_t parameter_elements = 0, ema_elements = 0;
  for (const auto& entry : g.replicatedTensors()) {
    names.push_back(entry.qualified);
    if (entry.part == train::StatePart::Parameters) parameter_elements += entry.tensor.numel();
    if (entry.part == train::StatePart::Ema) ema_elements += entry.tensor.numel();
  }
  EXPECT_EQ(parameter_elements, g.parameters().numel());
  EXPECT_EQ(ema_elements, g.parameters().numel());
  for (const char* expected : {"G.adam.exp_avg", "G.adam.exp_avg_sq", "G.adam.step"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
  EXPECT_NE(std::find_if(names.begin(), names.end(), [](const std::string& n) { return n.rfind("G.ema.", 0) == 0; }),
            names.end());
  for (auto& entry : g.replicatedTensors()) {
    if (entry.name == "step") entry.tensor.fill_(41);
  }
  EXPECT_EQ(g.optimizer().stepCount(), 41);
  for (const auto& entry : trainer->discriminatorState().replicatedTensors()) {
    EXPECT_NE(entry.part, train::StatePart::Ema) << "D keeps no EMA";
    EXPECT_EQ(entry.qualified.rfind("D.", 0), 0u) << entry.qualified;
  }
}

TEST(TrainerFeatures, WganGpNeedsMixingWeightsAndTrains) {
  comm::LocalCommunicator alone;
  Config config = smallTrainerConfig();
  config.train.loss = "wgan-gp";
  auto trainer = buildSmallTrainer(config, alone);
  EXPECT_THROW(trainer->step(batches(1, false), 0), Error);
  const auto d_before = trainer->discriminatorState().parameters().values().clone();
  const auto out = trainer->step(batches(2, true), 1);
  EXPECT_FALSE(out.d_update_skipped || out.g_update_skipped);
  EXPECT_FALSE(torch::equal(d_before, trainer->discriminatorState().parameters().values()));
}

TEST(TrainerFeatures, LazyR1AddsToTheLossOnlyOnItsSteps) {
  comm::LocalCommunicator alone;
  Config config = smallTrainerConfig();
  config.train.r1_gamma = 100.0;
  config.train.r1_interval = 2;
  auto with_r1 = buildSmallTrainer(config, alone);
  config.train.r1_gamma = 0;
  auto without = buildSmallTrainer(config, alone);
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
