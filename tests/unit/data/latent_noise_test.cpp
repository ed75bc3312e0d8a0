// Latent noise: per-row determinism (the basis of world-size invariance) and its distribution.
#include <gtest/gtest.h>

#include <cmath>

#include "data/latent_noise.h"

namespace {
using gan::data::latentNoiseRows;

TEST(LatentNoise, RowsDependOnlyOnSeedStepAndGlobalRow) {
  const auto whole = latentNoiseRows(3, 17, 0, 12, 100);
  for (int64_t first : {0, 4, 8}) {
    const auto part = latentNoiseRows(3, 17, first, 4, 100);
    for (size_t i = 0; i < part.size(); ++i) ASSERT_EQ(part[i], whole[first * 100 + i]);
  }
  EXPECT_NE(latentNoiseRows(3, 18, 0, 1, 100), latentNoiseRows(3, 17, 0, 1, 100));
  EXPECT_NE(latentNoiseRows(4, 17, 0, 1, 100), latentNoiseRows(3, 17, 0, 1, 100));
}

TEST(LatentNoise, IsStandardNormal) {
  const auto noise = latentNoiseRows(1, 0, 0, 1000, 101);  // odd width exercises the last value
  double sum = 0, squares = 0;
  for (float v : noise) {
    ASSERT_TRUE(std::isfinite(v));
    sum += v;
    squares += double(v) * v;
  }
  const double mean = sum / noise.size();
  const double variance = squares / noise.size() - mean * mean;
  EXPECT_NEAR(mean, 0.0, 0.02);
  EXPECT_NEAR(variance, 1.0, 0.03);
}

}  // namespace
