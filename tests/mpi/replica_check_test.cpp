// The replica consistency check passes for agreeing replicas and names the tensor that drifted.
#include <gtest/gtest.h>

#include "common/error.h"
#include "mpi/test_world.h"
#include "support/error_message.h"
#include "support/small_trainer.h"
#include "train/replica_check.h"

namespace {
using namespace gan;

std::unique_ptr<train::GanTrainer> makeTrainer(comm::Communicator& communicator) {
  ModelConfig model;
  model.hidden_dim = 16;
  model.latent_dim = 4;
  torch::manual_seed(100 + communicator.rank());
  auto trainer = std::make_unique<train::GanTrainer>(models::buildGanNetworks(model, 12), communicator,
                                                     train::TrainerOptions{});
  trainer->broadcastState();
  return trainer;
}

TEST(ReplicaCheck, AgreeingReplicasPass) {
  auto& world = test_support::world();
  auto trainer = makeTrainer(world);
  trainer->step(torch::zeros({2, 12}), torch::ones({2, 4}));  // same inputs everywhere
  EXPECT_NO_THROW(train::verifyReplicasAgree(*trainer, world, 1));
}

TEST(ReplicaCheck, DriftNamesTheFirstDifferingTensor) {
  auto& world = test_support::world();
  auto trainer = makeTrainer(world);
  if (world.rank() == world.worldSize() - 1) {
    torch::NoGradGuard no_grad;
    for (auto& slot : trainer->discriminatorState().parameters().slots()) {
      if (slot.name == "fc2.weight") slot.parameter.view(-1)[3] += 1e-3;
    }
  }
  if (world.worldSize() == 1) {
    EXPECT_NO_THROW(train::verifyReplicasAgree(*trainer, world, 7));  // nobody to disagree with
    return;
  }
  const auto error = gan::test_support::errorMessageOf([&] { train::verifyReplicasAgree(*trainer, world, 7); });
  EXPECT_NE(error.find("step 7: tensor 'D.fc2.weight' differs between ranks"), std::string::npos) << error;
}

TEST(ReplicaCheck, FingerprintSeesOneBit) {
  auto a = torch::rand({100});
  auto b = a.clone();
  EXPECT_EQ(train::tensorFingerprint(a), train::tensorFingerprint(b));
  b[50] = std::nextafter(b[50].item<float>(), 2.0f);
  EXPECT_NE(train::tensorFingerprint(a), train::tensorFingerprint(b));
}

// Drift in state beyond the weights is caught too: Adam's step count and the EMA of G.
TEST(ReplicaCheck, DriftInOptimizerStepCountOrEmaIsNamed) {
  auto& world = test_support::world();
  if (world.worldSize() == 1) GTEST_SKIP() << "needs a second rank to disagree with";
  Config config = test_support::smallTrainerConfig();
  config.train.ema_halflife_k = 1;
  auto trainer = test_support::buildSmallTrainer(config, world);
  trainer->broadcastState();
  const bool drifts = world.rank() == world.worldSize() - 1;
  if (drifts) trainer->generatorState().optimizer().setStepCount(5);
  auto error = gan::test_support::errorMessageOf([&] { train::verifyReplicasAgree(*trainer, world, 3); });
  EXPECT_NE(error.find("tensor 'G.adam.step' differs"), std::string::npos) << error;

  trainer->broadcastState();  // agree again
  if (drifts) trainer->generatorState().emaParameters().values()[0] += 1.0f;
  error = gan::test_support::errorMessageOf([&] { train::verifyReplicasAgree(*trainer, world, 4); });
  EXPECT_NE(error.find("tensor 'G.ema."), std::string::npos) << error;
}

}  // namespace
