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
    if (entry.part == parallel::StatePart::Parameters) parameter_elements += entry.tensor.numel();
    if (entry.part == parallel::StatePart::Ema) ema_elements += entry.tensor.numel();
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
    EXPECT_NE(entry.part, parallel::StatePart::Ema) << "D keeps no EMA";
    EXPECT_EQ(entry.qualified.rfind("D.", 0), 0u) << entry.qualified;
  }
}

TEST(TrainerFeatures, WganGpNeedsMixingWeightsAndTrains) {
  comm::LocalCommunicator alone;
  Config config = smallTrainerConfig();
  config.train.loss = gan::GanLoss::WganGp;
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

// Two trainers built alike: one is offered the next step's batch during G's reduction, the other
// is not. `between` runs on both between the two steps.
struct OverlapPair {
  std::unique_ptr<train::GanTrainer> ahead, plain;
};

Config overlappingConfig() {
  Config config = smallTrainerConfig();
  config.comm.overlap_next_step = true;
  return config;
}

OverlapPair overlapPair(const Config& config, comm::Communicator& communicator) {
  torch::manual_seed(11);
  auto ahead = buildSmallTrainer(config, communicator);
  torch::manual_seed(11);
  auto plain = buildSmallTrainer(config, communicator);
  return {std::move(ahead), std::move(plain)};
}

std::vector<train::DiscriminatorBatch> numberedBatch(int64_t batch_number) {
  auto inputs = batches(1);
  inputs.front().batch_number = batch_number;
  return inputs;
}

void expectSameState(train::GanTrainer& a, train::GanTrainer& b) {
  EXPECT_TRUE(torch::equal(a.discriminatorState().parameters().values(), b.discriminatorState().parameters().values()));
  EXPECT_TRUE(torch::equal(a.generatorState().parameters().values(), b.generatorState().parameters().values()));
}

// The next step's real half, computed during G's reduction, is the same bits as computed in place.
TEST(TrainerFeatures, RealHalfComputedAheadIsUsedForItsBatch) {
  comm::LocalCommunicator alone;
  auto [ahead, plain] = overlapPair(overlappingConfig(), alone);
  ASSERT_TRUE(ahead->overlapsNextStep());
  torch::manual_seed(3);
  const auto first = numberedBatch(0), second = numberedBatch(1);
  const auto offered = [&]() -> const train::DiscriminatorBatch* { return &second.front(); };
  ahead->step(first, 0, offered);
  plain->step(first, 0);
  const auto ahead_out = ahead->step(second, 1);
  const auto plain_out = plain->step(second, 1);
  EXPECT_EQ(ahead->overlappedRealHalves(), 1);
  EXPECT_EQ(plain->overlappedRealHalves(), 0);
  EXPECT_TRUE(torch::equal(ahead_out.loss_d, plain_out.loss_d));
  EXPECT_TRUE(torch::equal(ahead_out.real_logits, plain_out.real_logits));
  expectSameState(*ahead, *plain);
}

// A half computed ahead is dropped when the step brings another batch, or when D changed since
// (here: its weights written in place, as a resume's load does).
TEST(TrainerFeatures, RealHalfComputedAheadIsDroppedWhenStale) {
  comm::LocalCommunicator alone;
  torch::manual_seed(3);
  const auto first = numberedBatch(0), offered_batch = numberedBatch(1), other = numberedBatch(7);
  const auto offered = [&]() -> const train::DiscriminatorBatch* { return &offered_batch.front(); };
  {
    auto [ahead, plain] = overlapPair(overlappingConfig(), alone);
    ahead->step(first, 0, offered);
    plain->step(first, 0);
    ahead->step(other, 1);
    plain->step(other, 1);
    EXPECT_EQ(ahead->overlappedRealHalves(), 0);
    expectSameState(*ahead, *plain);
  }
  {
    auto [ahead, plain] = overlapPair(overlappingConfig(), alone);
    ahead->step(first, 0, offered);
    plain->step(first, 0);
    for (auto* trainer : {ahead.get(), plain.get()}) {
      torch::NoGradGuard no_grad;
      trainer->discriminatorState().parameters().values().mul_(0.5);
    }
    ahead->step(offered_batch, 1);
    plain->step(offered_batch, 1);
    EXPECT_EQ(ahead->overlappedRealHalves(), 0);
    expectSameState(*ahead, *plain);
  }
}

// Two steps, the second's batch offered during the first: how many real halves ran ahead.
int64_t overlappedOverTwoOfferedSteps(train::GanTrainer& trainer) {
  const auto second = numberedBatch(1);
  trainer.step(numberedBatch(0), 0, [&]() -> const train::DiscriminatorBatch* { return &second.front(); });
  trainer.step(second, 1);
  return trainer.overlappedRealHalves();
}

// With R1 on every step no D update splits its halves, so the option cannot overlap anything and
// the trainer must not say it does (the start-up line reads overlapsNextStep()).
TEST(TrainerFeatures, R1OnEveryStepMeansNothingOverlaps) {
  comm::LocalCommunicator alone;
  Config config = overlappingConfig();
  config.train.r1_gamma = 0.1;
  config.train.r1_interval = 1;
  auto trainer = buildSmallTrainer(config, alone);
  EXPECT_FALSE(trainer->overlapsNextStep());
  EXPECT_EQ(overlappedOverTwoOfferedSteps(*trainer), 0);
}

TEST(TrainerFeatures, OverlapOffKeepsOneFusedPassForD) {
  comm::LocalCommunicator alone;
  const Config config = smallTrainerConfig();  // the default
  auto trainer = buildSmallTrainer(config, alone);
  EXPECT_FALSE(trainer->overlapsNextStep());
  EXPECT_EQ(overlappedOverTwoOfferedSteps(*trainer), 0);
}

}  // namespace

namespace {

TEST(TrainerFeatures, GradientPenaltyRefusesABatchNormalisedDiscriminator) {
  gan::comm::LocalCommunicator alone;
  gan::ModelConfig model;
  model.arch = gan::ModelArch::Mlp2d;
  model.hidden_dim = 8;
  model.batchnorm = gan::BatchNormPolicy::Local;
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
