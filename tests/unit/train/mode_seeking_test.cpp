// The mode-seeking term of G's loss (--train.mode_seeking) and the paired class draws it needs.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "data/latent_noise.h"
#include "support/error_message.h"
#include "train/mode_seeking.h"

namespace {

using gan::train::modeSeekingTerm;

torch::Tensor doubles(std::vector<double> values, std::vector<int64_t> shape) {
  return torch::tensor(values, torch::kFloat64).reshape(shape);
}

// Two pairs written out: the term is weight / (mean pair ratio + 1e-5), each ratio the pair's
// mean absolute image difference over its mean absolute noise difference.
TEST(ModeSeeking, TermIsTheWeightOverTheMeanRatioOfImageToNoiseDistance) {
  gan::comm::LocalCommunicator alone;
  const auto fake = doubles({0.0, 1.0, 0.5, /**/ 0.5, 0.0, 0.5, /**/ 1.0, 1.0, 1.0, /**/ 0.7, 1.0, 1.3}, {4, 3});
  const auto z = doubles({1, 0, /**/ 0, 0, /**/ 2, 2, /**/ 0, 0}, {4, 2});
  // Pair 0: image |.5 1 0| mean 0.5, noise |1 0| mean 0.5 -> 1. Pair 1: image |.3 0 .3| mean 0.2,
  // noise |2 2| mean 2 -> 0.1.
  const auto term = modeSeekingTerm(fake, z, 2.0, alone);
  EXPECT_NEAR(term.mean_ratio.item<double>(), 0.55, 1e-12);
  EXPECT_NEAR(term.loss.item<double>(), 2.0 / (0.55 + 1e-5), 1e-9);
  EXPECT_FALSE(term.mean_ratio.requires_grad());
}

// On one process the term's gradient is that of the formula itself (each rank carries its pairs
// with the global slope; the world-size invariance test checks ranks against one process).
TEST(ModeSeeking, GradientIsTheFormulasOnOneProcess) {
  gan::comm::LocalCommunicator alone;
  torch::manual_seed(3);
  const auto fake = torch::randn({8, 5}, torch::kFloat64).requires_grad_(true);
  const auto z = torch::randn({8, 3}, torch::kFloat64);
  modeSeekingTerm(fake, z, 0.7, alone).loss.backward();
  const auto ours = fake.grad().clone();
  fake.mutable_grad() = torch::Tensor();
  const auto pairs = fake.reshape({4, 2, 5});
  const auto noise = z.reshape({4, 2, 3});
  const auto ratios = (pairs.select(1, 0) - pairs.select(1, 1)).abs().mean(1) /
                      (noise.select(1, 0) - noise.select(1, 1)).abs().mean(1);
  (0.7 / (ratios.mean() + 1e-5)).backward();
  EXPECT_TRUE(torch::allclose(ours, fake.grad(), 1e-12, 1e-14));
  EXPECT_GT(ours.abs().sum().item<double>(), 0);
}

// Pairs drawn nearly alike cost far more than distinct ones, and the gradient pushes each pair
// apart: after a small step against it the pairs' images are farther apart.
TEST(ModeSeeking, NearlyCollapsedPairsCostMoreAndArePushedApart) {
  gan::comm::LocalCommunicator alone;
  torch::manual_seed(4);
  const auto z = torch::randn({6, 4}, torch::kFloat64);
  const auto distinct = torch::rand({6, 10}, torch::kFloat64);
  const auto collapsed = (distinct.reshape({3, 2, 10}).select(1, 0).repeat_interleave(2, 0) +
                          1e-3 * torch::rand({6, 10}, torch::kFloat64)).requires_grad_(true);
  const auto collapsed_term = modeSeekingTerm(collapsed, z, 1.0, alone);
  EXPECT_GT(collapsed_term.loss.item<double>(), 50 * modeSeekingTerm(distinct, z, 1.0, alone).loss.item<double>());
  collapsed_term.loss.backward();
  const auto moved = (collapsed - 1e-7 * collapsed.grad()).detach();
  EXPECT_GT(modeSeekingTerm(moved, z, 1.0, alone).mean_ratio.item<double>(), collapsed_term.mean_ratio.item<double>());
}

TEST(ModeSeeking, OddRowsAreRefused) {
  gan::comm::LocalCommunicator alone;
  const auto error = gan::test_support::errorMessageOf(
      [&] { modeSeekingTerm(torch::zeros({3, 4}), torch::zeros({3, 2}), 1.0, alone); });
  EXPECT_NE(error.find("pairs rows (2i, 2i+1)"), std::string::npos) << error;
}

// With pairs, global rows 2i and 2i+1 draw one class, the one row 2i draws alone; a rank whose
// rows start on an odd global row still draws its rows' classes as one process does.
TEST(ModeSeeking, PairedClassDrawsGiveAPairItsFirstRowsClassAtAnySplit) {
  const std::vector<int64_t> counts(10, 6000);
  const auto single = gan::data::classLabelRows(7, 3, 0, 64, counts);
  const auto paired = gan::data::classLabelRows(7, 3, 0, 64, counts, 2);
  for (size_t i = 0; i < paired.size(); i += 2) {
    EXPECT_EQ(paired[i], single[i]) << "row " << i;
    EXPECT_EQ(paired[i + 1], single[i]) << "row " << i + 1;
  }
  EXPECT_NE(paired, single);
  const auto part = gan::data::classLabelRows(7, 3, 5, 10, counts, 2);
  EXPECT_EQ(part, std::vector<int64_t>(paired.begin() + 5, paired.begin() + 15));
}

}  // namespace
