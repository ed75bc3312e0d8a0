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

// A D update run as two backward passes (--comm.overlap_next_step) sums the two terms: they must
// add up to the one loss, bit for bit, for every loss.
TEST(Losses, DiscriminatorLossIsItsRealTermPlusItsGeneratedTerm) {
  torch::manual_seed(2);
  const auto real = torch::randn({37, 1}), fake = torch::randn({37, 1});
  for (GanLoss loss : {GanLoss::Nonsaturating, GanLoss::Minimax, GanLoss::Hinge, GanLoss::WganGp}) {
    const auto sum = gan::train::discriminatorRealTerm(loss, real) + gan::train::discriminatorFakeTerm(loss, fake);
    EXPECT_TRUE(torch::equal(gan::train::discriminatorLoss(loss, real, fake), sum));
  }
  EXPECT_TRUE(torch::equal(gan::train::discriminatorLoss(GanLoss::WganGp, real, fake), fake.mean() - real.mean()));
}

TEST(Losses, GeneratorLossesMatchTheirFormulas) {
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

TEST(Losses, HingeMatchesHandComputedMargins) {
  auto real = torch::tensor({2.0, 0.5, -1.0}).unsqueeze(1);  // margins: 0, 0.5, 2
  auto fake = torch::tensor({-3.0, 0.0, 1.0}).unsqueeze(1);  // margins: 0, 1, 2
  EXPECT_NEAR(gan::train::discriminatorLoss(GanLoss::Hinge, real, fake).item<double>(), 2.5 / 3 + 3.0 / 3, 1e-6);  // float32
  EXPECT_NEAR(gan::train::generatorLoss(GanLoss::Hinge, fake).item<double>(), 2.0 / 3, 1e-6);
  // D's gradient ignores samples beyond the margin; G's pushes every fake logit up.
  auto logits = torch::tensor({2.0, 0.0}, torch::requires_grad());
  gan::train::discriminatorLoss(GanLoss::Hinge, logits.unsqueeze(1), torch::full({2, 1}, -5.0)).backward();
  EXPECT_EQ(logits.grad()[0].item<double>(), 0.0);
  EXPECT_LT(logits.grad()[1].item<double>(), 0.0);
  EXPECT_EQ(gan::parseOptionValue<GanLoss>("hinge", "--train.loss"), GanLoss::Hinge);
}

TEST(Losses, StableForExtremeLogits) {
  auto logits = torch::tensor({-200.0f, 200.0f}).unsqueeze(1);
  EXPECT_TRUE(std::isfinite(gan::train::discriminatorLoss(GanLoss::Nonsaturating, logits, logits).item<float>()));
  EXPECT_TRUE(std::isfinite(gan::train::generatorLoss(GanLoss::Nonsaturating, logits).item<float>()));
}

}  // namespace

#include "train/gradient_penalties.h"

namespace {

TEST(Losses, WassersteinCriticRaisesRealAndLowersFakeScores) {
  auto real = torch::tensor({2.0, -1.0, 0.5}).unsqueeze(1).requires_grad_(true);
  auto fake = torch::tensor({-3.0, 0.2, 1.0}).unsqueeze(1).requires_grad_(true);
  auto critic = gan::train::discriminatorLoss(GanLoss::WganGp, real, fake);
  EXPECT_NEAR(critic.item<double>(), (-1.8 / 3) - (1.5 / 3), 1e-6);
  critic.backward();
  // The critic raises real scores and lowers fake ones, by 1/b each.
  EXPECT_TRUE(torch::allclose(real.grad(), torch::full({3, 1}, -1.0 / 3)));
  EXPECT_TRUE(torch::allclose(fake.grad(), torch::full({3, 1}, 1.0 / 3)));
  EXPECT_NEAR(gan::train::generatorLoss(GanLoss::WganGp, fake).item<double>(), 1.8 / 3, 1e-6);
  EXPECT_EQ(gan::parseOptionValue<GanLoss>("wgan-gp", "--train.loss"), GanLoss::WganGp);
}

// A linear critic D(x) = w.x + b has input gradient w everywhere, so both penalties have closed
// forms, and so do their gradients in w (what the double backward must deliver).
struct LinearCritic {
  torch::nn::Linear layer{torch::nn::LinearOptions(3, 1)};
  LinearCritic() {
    torch::NoGradGuard no_grad;
    layer->weight.copy_(torch::tensor({{0.6, -1.2, 2.0}}));
    layer->bias.fill_(0.3);
  }
};

TEST(GradientPenalties, WganPenaltyIsLambdaTimesSquaredNormExcess) {
  LinearCritic critic;
  auto real = torch::randn({4, 3}), fake = torch::randn({4, 3});
  auto mixed = gan::train::interpolateRealFake(real, fake, torch::rand({4}));
  ASSERT_TRUE(mixed.requires_grad());
  auto penalty = gan::train::wganGradientPenalty(critic.layer->forward(mixed), mixed, 10.0);
  const double norm = critic.layer->weight.norm().item<double>();
  EXPECT_NEAR(penalty.item<double>(), 10.0 * (norm - 1) * (norm - 1), 1e-4);
  penalty.backward();
  // d/dw lambda (|w| - 1)^2 = 2 lambda (|w| - 1) w / |w|: the penalty shrinks a too-steep critic.
  auto expected = 2 * 10.0 * (norm - 1) * critic.layer->weight / norm;
  EXPECT_TRUE(torch::allclose(critic.layer->weight.grad(), expected, 1e-4, 1e-4));
  EXPECT_FALSE(critic.layer->bias.grad().defined() && critic.layer->bias.grad().abs().sum().item<double>() > 0);
}

TEST(GradientPenalties, InterpolationMixesEachRowByItsWeight) {
  auto real = torch::ones({2, 3}), fake = torch::zeros({2, 3});
  auto mixed = gan::train::interpolateRealFake(real, fake, torch::tensor({0.25f, 1.0f}));
  EXPECT_TRUE(torch::allclose(mixed, torch::tensor({{0.25f, 0.25f, 0.25f}, {1.0f, 1.0f, 1.0f}})));
}

TEST(GradientPenalties, R1IsHalfGammaSquaredGradientNorm) {
  LinearCritic critic;
  auto real = torch::randn({5, 3}).requires_grad_(true);
  auto penalty = gan::train::r1Penalty(critic.layer->forward(real), real, 2.0);
  const double squared = critic.layer->weight.pow(2).sum().item<double>();
  EXPECT_NEAR(penalty.item<double>(), squared, 1e-5);  // gamma/2 = 1
  penalty.backward();
  EXPECT_TRUE(torch::allclose(critic.layer->weight.grad(), 2.0 * critic.layer->weight, 1e-5, 1e-5));
}

}  // namespace
