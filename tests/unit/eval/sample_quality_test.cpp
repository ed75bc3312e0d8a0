// Sample-quality measures against hand-computed cases.
#include <gtest/gtest.h>

#include <cmath>

#include "common/error.h"
#include "eval/kernel_distance.h"
#include "eval/manifold_precision_recall.h"
#include "eval/sample_quality.h"

namespace {
using namespace gan::eval;

// ---- kernel distance

// MMD^2 by its definition, one pair at a time, in double.
double mmd2ByDefinition(const torch::Tensor& x, const torch::Tensor& y) {
  const int64_t m = x.size(0), d = x.size(1);
  auto kernel = [d](const torch::Tensor& a, const torch::Tensor& b) {
    return std::pow(a.dot(b).item<double>() / double(d) + 1, 3);
  };
  double xx = 0, yy = 0, xy = 0;
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < m; ++j) {
      if (i != j) xx += kernel(x[i], x[j]), yy += kernel(y[i], y[j]);
      xy += kernel(x[i], y[j]);
    }
  }
  return xx / double(m * (m - 1)) + yy / double(m * (m - 1)) - 2 * xy / double(m * m);
}

TEST(KernelDistance, UnbiasedMmdMatchesThePairByPairDefinition) {
  torch::manual_seed(1);
  const auto x = torch::randn({6, 3}, torch::kFloat64), y = torch::randn({6, 3}, torch::kFloat64) + 0.5;
  EXPECT_NEAR(unbiasedMmd2(x, y), mmd2ByDefinition(x, y), 1e-5);  // products in float32
  // Two points per set, d = 1: x = {0, 1}, y = {2, 3}: k(a, b) = (ab + 1)^3.
  const auto a = torch::tensor({{0.0}, {1.0}}, torch::kFloat64), b = torch::tensor({{2.0}, {3.0}}, torch::kFloat64);
  // within x: k(0,1) = 1; within y: k(2,3) = 343; across: (1 + 1 + 27 + 64) / 4.
  EXPECT_NEAR(unbiasedMmd2(a, b), 1 + 343 - 2 * (1 + 1 + 27 + 64) / 4.0, 1e-12);
}

TEST(KernelDistance, IsNearZeroForOneDistributionAndGrowsWithTheShift) {
  torch::manual_seed(2);
  const auto real = torch::randn({2000, 8}, torch::kFloat64);
  const KernelDistanceSubsets subsets{10, 300, 9};
  const auto same = meanAndSpread(kernelDistancePerSubset(real, torch::randn({2000, 8}, torch::kFloat64), subsets, 0, 1));
  const auto near = meanAndSpread(kernelDistancePerSubset(real, torch::randn({2000, 8}, torch::kFloat64) + 0.3, subsets, 0, 1));
  const auto far = meanAndSpread(kernelDistancePerSubset(real, torch::randn({2000, 8}, torch::kFloat64) + 1.0, subsets, 0, 1));
  EXPECT_LT(std::abs(same.mean), 3 * same.std / std::sqrt(10.0) + 1e-3);  // unbiased: zero within its error
  EXPECT_GT(near.mean, 10 * std::abs(same.mean));
  EXPECT_GT(far.mean, near.mean);
  EXPECT_GT(far.std, 0);
}

TEST(KernelDistance, RanksSharingTheSubsetsAddUpToTheWhole) {
  torch::manual_seed(3);
  const auto real = torch::randn({300, 4}, torch::kFloat64), generated = torch::randn({250, 4}, torch::kFloat64);
  const KernelDistanceSubsets subsets{7, 100, 5};
  const auto whole = kernelDistancePerSubset(real, generated, subsets, 0, 1);
  auto parts = torch::zeros_like(whole);
  for (int part = 0; part < 3; ++part) parts += kernelDistancePerSubset(real, generated, subsets, part, 3);
  EXPECT_TRUE(torch::equal(parts, whole));
  // The real terms computed once give the same values.
  const auto means = realKernelMeans(real, 250, subsets, 0, 1);
  EXPECT_TRUE(torch::equal(kernelDistancePerSubset(real, generated, subsets, 0, 1, means), whole));
  // Subsets are distinct rows, fixed by (seed, subset, n).
  const auto rows = subsetRows(5, 2, 300, 100);
  EXPECT_EQ(std::get<0>(at::_unique(rows)).numel(), 100);
  EXPECT_TRUE(torch::equal(rows, subsetRows(5, 2, 300, 100)));
  EXPECT_FALSE(torch::equal(rows, subsetRows(5, 3, 300, 100)));
}

// ---- precision and recall

TEST(ManifoldPrecisionRecall, RadiiAreTheKthNeighbourDistance) {
  // Points on a line at 0, 1, 3, 6, 10. Point 1's distances to the others are 1, 2, 5, 9, so its
  // third-nearest is 5; point 10's are 4, 7, 9, 10: 9. k = 1 gives the nearest: 1, 1, 2, 3, 4.
  const auto points = torch::tensor({{0.0}, {1.0}, {3.0}, {6.0}, {10.0}}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(neighbourRadii(points, 0, 5, 3), torch::tensor({6.0, 5.0, 3.0, 5.0, 9.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::allclose(neighbourRadii(points, 0, 5, 1), torch::tensor({1.0, 1.0, 2.0, 3.0, 4.0}, torch::kFloat64)));
  EXPECT_TRUE(torch::allclose(neighbourRadii(points, 2, 2, 1), torch::tensor({2.0, 3.0}, torch::kFloat64)));
}

TEST(ManifoldPrecisionRecall, CountsPointsInsideAnyBall) {
  const auto centres = torch::tensor({{0.0, 0.0}, {10.0, 0.0}}, torch::kFloat64);
  const auto radii = torch::tensor({1.0, 2.0}, torch::kFloat64);
  // Inside the first, on the first's boundary, inside the second, outside both.
  const auto queries = torch::tensor({{0.5, 0.0}, {0.0, 1.0}, {8.5, 0.5}, {5.0, 0.0}}, torch::kFloat64);
  EXPECT_EQ(countInsideManifold(queries, centres, radii), 3);
  // A set lies inside its own manifold: precision = recall = 1.
  torch::manual_seed(4);
  const auto points = torch::randn({50, 3}, torch::kFloat64);
  EXPECT_EQ(countInsideManifold(points, points, neighbourRadii(points, 0, 50)), 50);
  // Far away: 0.
  EXPECT_EQ(countInsideManifold(points + 100, points, neighbourRadii(points, 0, 50)), 0);
}

// ---- Fréchet distance

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
