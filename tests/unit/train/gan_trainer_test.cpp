// GanTrainer's step: the G step leaves D's gradients as the D step made them.
#include <gtest/gtest.h>

#include "models/gan_networks.h"
#include "support/identical_replicas_communicator.h"
#include "train/gan_trainer.h"
#include "train/losses.h"

namespace {
using gan::test_support::IdenticalReplicasCommunicator;

// The G step must not touch D's gradients: after a step, D's flat gradient buffer holds exactly
// the D step's gradient (computed here independently on a copy of D).
TEST(GanTrainer, GeneratorStepLeavesDiscriminatorGradientsAlone) {
  gan::ModelConfig model;
  model.latent_dim = 8;
  model.hidden_dim = 16;
  torch::manual_seed(11);
  auto networks = gan::models::buildGanNetworks(model, 12);
  torch::manual_seed(11);
  auto reference = gan::models::buildGanNetworks(model, 12);  // identical weights
  IdenticalReplicasCommunicator comm(1);
  gan::train::GanTrainer trainer(networks, comm, gan::train::TrainerOptions{});
  auto real = torch::rand({5, 12}) * 2 - 1;
  auto z = torch::randn({5, 8});
  trainer.step(real, z);

  auto fake = reference.generator->forward(z).detach();
  auto logits = reference.discriminator->forward(torch::cat({real, fake}, 0));
  gan::train::discriminatorLoss(gan::train::GanLoss::Nonsaturating, logits.narrow(0, 0, 5), logits.narrow(0, 5, 5))
      .backward();
  for (const auto& slot : trainer.discriminatorState().parameters().slots()) {
    const auto expected = reference.discriminator->named_parameters()[slot.name].grad();
    EXPECT_TRUE(torch::allclose(slot.parameter.grad(), expected, 1e-6, 1e-7)) << slot.name;
  }
  // And D still trains: its parameters require gradients again after the G step.
  for (const auto& slot : trainer.discriminatorState().parameters().slots()) EXPECT_TRUE(slot.parameter.requires_grad());
}

}  // namespace
