// Sample-quality measures against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "eval/sample_quality.h"

namespace {
using namespace gan::eval;

TEST(FrechetDistance, IdenticalSetsAreZero) {
  torch::manual_seed(1);
  auto x = torch::randn({500, 6}, torch::kFloat64);
  EXPECT_NEAR(frechetDistance(x, x), 0.0, 1e-9);
}

TEST(FrechetDistance, ShiftedGaussiansGiveTheSquaredShift) {
  // Same covariance, means 3 apart along one axis: the trace terms cancel, FD = 9.
  GaussianFit a{torch::zeros({3}, torch::kFloat64), torch::diag(torch::tensor({1.0, 2.0, 0.5}, torch::kFloat64))};
  GaussianFit b{torch::tensor({3.0, 0.0, 0.0}, torch::kFloat64), a.covariance.clone()};
  EXPECT_NEAR(frechetDistance(a, b), 9.0, 1e-9);
}

TEST(FrechetDistance, ScaledCovarianceHasTheClosedForm) {
  // S_r = I, S_g = 4 I in d dimensions: Tr(I + 4I - 2 * 2I) = d.
  GaussianFit a{torch::zeros({5}, torch::kFloat64), torch::eye(5, torch::kFloat64)};
  GaussianFit b{torch::zeros({5}, torch::kFloat64), 4 * torch::eye(5, torch::kFloat64)};
  EXPECT_NEAR(frechetDistance(a, b), 5.0, 1e-9);
}

TEST(FrechetDistance, SampleEstimateApproachesTheTruth) {
  torch::manual_seed(2);
  auto real = torch::randn({20000, 4}, torch::kFloat64);
  auto generated = torch::randn({20000, 4}, torch::kFloat64) * 2 + 1;  // mean 1, covariance 4 I
  // ||1||^2 * 4 dims + Tr(I + 4I - 4I) per dim = 4 + 4.
  EXPECT_NEAR(frechetDistance(real, generated), 8.0, 0.3);
}

TEST(ModeCoverage, CountsHighQualitySamplesAndCoveredModes) {
  auto modes = torch::tensor({{0.0, 0.0}, {2.0, 0.0}, {0.0, 2.0}}, torch::kFloat64);
  auto samples = torch::tensor({{0.01, 0.0},    // near mode 0: high quality
                                {2.0, 0.05},    // near mode 1 (2.5 sigma): high quality
                                {1.0, 1.0},     // between modes: low quality
                                {0.0, 0.02}},   // mode 0 again
                               torch::kFloat64);
  const auto coverage = modeCoverage(samples, modes, 0.02);
  EXPECT_EQ(coverage.modes_total, 3);
  EXPECT_EQ(coverage.modes_covered, 2);
  EXPECT_DOUBLE_EQ(coverage.high_quality_fraction, 0.75);
  EXPECT_EQ(modeCoverage(torch::full({4, 2}, 5.0), modes, 0.02).modes_covered, 0);
  EXPECT_THROW(modeCoverage(torch::zeros({3, 3}), modes, 0.02), gan::Error);
}

}  // namespace
