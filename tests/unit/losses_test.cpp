// Losses against the seed formula computed naively with probabilities.
#include <gtest/gtest.h>

#include "train/losses.h"

namespace {
using gan::train::GanLoss;

TEST(Losses, DiscriminatorLossIsNegatedMinimaxObjective) {
  auto real = torch::tensor({2.0, -1.0, 0.5}).unsqueeze(1);
  auto fake = torch::tensor({-3.0, 0.2, 1.0}).unsqueeze(1);
  // -(E[log D(x)] + E[log(1 - D(G(z)))])
  auto expected = -(torch::log(torch::sigmoid(real)).mean() + torch::log(1 - torch::sigmoid(fake)).mean());
  for (GanLoss loss : {GanLoss::Nonsaturating, GanLoss::Minimax}) {
    EXPECT_NEAR(gan::train::discriminatorLoss(loss, real, fake).item<double>(), expected.item<double>(), 1e-9);
  }
}

TEST(Losses, GeneratorLosses) {
  auto fake = torch::tensor({-3.0, 0.2, 1.0}).unsqueeze(1);
  EXPECT_NEAR(gan::train::generatorLoss(GanLoss::Nonsaturating, fake).item<double>(),
              (-torch::log(torch::sigmoid(fake)).mean()).item<double>(), 1e-9);
  EXPECT_NEAR(gan::train::generatorLoss(GanLoss::Minimax, fake).item<double>(),
              torch::log(1 - torch::sigmoid(fake)).mean().item<double>(), 1e-9);
}

TEST(Losses, GeneratorGradientsPushFakesTowardsReal) {
  // Both losses fall as D's logit for a fake rises; nonsaturating keeps a strong gradient where
  // D confidently rejects fakes (very negative logits), minimax's vanishes there.
  for (GanLoss loss : {GanLoss::Nonsaturating, GanLoss::Minimax}) {
    auto fake = torch::tensor({-8.0, 0.0}, torch::requires_grad());
    gan::train::generatorLoss(loss, fake.unsqueeze(1)).backward();
    EXPECT_LT(fake.grad()[0].item<double>(), 0);
    EXPECT_LT(fake.grad()[1].item<double>(), 0);
  }
  auto ns = torch::tensor({-8.0}, torch::requires_grad());
  gan::train::generatorLoss(GanLoss::Nonsaturating, ns.unsqueeze(1)).backward();
  auto mm = torch::tensor({-8.0}, torch::requires_grad());
  gan::train::generatorLoss(GanLoss::Minimax, mm.unsqueeze(1)).backward();
  EXPECT_GT(std::abs(ns.grad().item<double>()), 100 * std::abs(mm.grad().item<double>()));
}

TEST(Losses, HingeByHand) {
  auto real = torch::tensor({2.0, 0.5, -1.0}).unsqueeze(1);  // margins: 0, 0.5, 2
  auto fake = torch::tensor({-3.0, 0.0, 1.0}).unsqueeze(1);  // margins: 0, 1, 2
  EXPECT_NEAR(gan::train::discriminatorLoss(GanLoss::Hinge, real, fake).item<double>(), 2.5 / 3 + 3.0 / 3, 1e-6);  // float32
  EXPECT_NEAR(gan::train::generatorLoss(GanLoss::Hinge, fake).item<double>(), 2.0 / 3, 1e-6);
  // D's gradient ignores samples beyond the margin; G's pushes every fake logit up.
  auto logits = torch::tensor({2.0, 0.0}, torch::requires_grad());
  gan::train::discriminatorLoss(GanLoss::Hinge, logits.unsqueeze(1), torch::full({2, 1}, -5.0)).backward();
  EXPECT_EQ(logits.grad()[0].item<double>(), 0.0);
  EXPECT_LT(logits.grad()[1].item<double>(), 0.0);
  EXPECT_EQ(gan::train::parseGanLoss("hinge"), GanLoss::Hinge);
}

TEST(Losses, StableForExtremeLogits) {
  auto logits = torch::tensor({-200.0f, 200.0f}).unsqueeze(1);
  EXPECT_TRUE(std::isfinite(gan::train::discriminatorLoss(GanLoss::Nonsaturating, logits, logits).item<float>()));
  EXPECT_TRUE(std::isfinite(gan::train::generatorLoss(GanLoss::Nonsaturating, logits).item<float>()));
}

}  // namespace
