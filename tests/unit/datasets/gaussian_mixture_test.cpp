// The 2-D mixtures: the modes the issue specifies, samples near them, and each sample a function
// of its index alone (what makes the data identical on every rank).
#include <gtest/gtest.h>

#include "datasets/gaussian_mixture.h"
#include "eval/sample_quality.h"

namespace {
using gan::datasets::GaussianMixtureDataset;

std::vector<int64_t> range(int64_t first, int64_t count) {
  std::vector<int64_t> indices;
  for (int64_t i = first; i < first + count; ++i) indices.push_back(i);
  return indices;
}

TEST(GaussianMixture, RingHasEightModesOnRadiusTwo) {
  const auto ring = GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  EXPECT_EQ(ring.modes().size(0), 8);
  EXPECT_TRUE(torch::allclose(ring.modes().norm(2, 1), torch::full({8}, 2.0, torch::kFloat64)));
  EXPECT_DOUBLE_EQ(ring.sigma(), 0.02);
  EXPECT_EQ(ring.sampleShape(), (std::vector<int64_t>{2}));
}

TEST(GaussianMixture, GridHasTwentyFiveModesTwoApart) {
  const auto grid = GaussianMixtureDataset::named(gan::DataSetName::Grid25);
  EXPECT_EQ(grid.modes().size(0), 25);
  EXPECT_DOUBLE_EQ(grid.modes().min().item<double>(), -4.0);
  EXPECT_DOUBLE_EQ(grid.modes().max().item<double>(), 4.0);
  EXPECT_DOUBLE_EQ(grid.sigma(), 0.05);
}

TEST(GaussianMixture, SamplesCoverEveryModeWithTheirSigma) {
  for (const auto name : {gan::DataSetName::Ring8, gan::DataSetName::Grid25}) {
    const auto mixture = GaussianMixtureDataset::named(name);
    const auto samples = mixture.batch(range(0, 20000), torch::kCPU);
    // Real data is the ceiling of the evaluation: every mode, ~99.7% within 3 sigma (2-D: 98.9%).
    const auto coverage = gan::eval::modeCoverage(samples, mixture.modes(), mixture.sigma());
    EXPECT_EQ(coverage.modes_covered, mixture.modes().size(0)) << name;
    EXPECT_NEAR(coverage.high_quality_fraction, 1 - std::exp(-4.5), 0.005) << name;
    // Modes are drawn uniformly.
    const auto counts = gan::eval::highQualityCountsPerMode(samples, mixture.modes(), mixture.sigma());
    const double expected = 20000.0 / double(mixture.modes().size(0));
    EXPECT_LT((counts - expected).abs().max().item<double>(), 0.15 * expected) << name;
  }
}

TEST(GaussianMixture, ASampleDependsOnlyOnItsIndex) {
  const auto ring = GaussianMixtureDataset::named(gan::DataSetName::Ring8);
  const auto whole = ring.batch({5, 9, 1000, 77}, torch::kCPU);
  EXPECT_TRUE(torch::equal(whole[2], ring.batch({1000}, torch::kCPU)[0]));
  EXPECT_TRUE(torch::equal(whole, GaussianMixtureDataset::named(gan::DataSetName::Ring8).batch({5, 9, 1000, 77}, torch::kCPU)));
  EXPECT_FALSE(torch::equal(whole[0], whole[1]));
}

}  // namespace
