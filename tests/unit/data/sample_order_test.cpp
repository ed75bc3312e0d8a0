// The global sample order: shards disjoint and covering, reshuffled per epoch, rank-independent.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "common/error.h"
#include "data/sample_order.h"
#include "support/error_message.h"

namespace {
using gan::data::GlobalSampleOrder;
using gan::data::rowsForRank;

TEST(SampleOrder, PermutationIsAPermutationAndDeterministic) {
  auto a = gan::data::epochPermutation(1000, 7, 3);
  auto b = gan::data::epochPermutation(1000, 7, 3);
  EXPECT_EQ(a, b);
  auto sorted = a;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 1000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(a, gan::data::epochPermutation(1000, 7, 4));  // reshuffled every epoch
  EXPECT_NE(a, gan::data::epochPermutation(1000, 8, 3));  // depends on the seed
}

TEST(SampleOrder, ShardsAreDisjointAndCoverAnEpoch) {
  for (int world : {1, 2, 3, 4}) {
    const int64_t b = 10, n = 997;
    std::vector<GlobalSampleOrder> orders;
    for (int r = 0; r < world; ++r) orders.emplace_back(n, b * world, 11);
    const int64_t steps = orders[0].stepsPerEpoch();
    EXPECT_EQ(steps, n / (b * world));
    std::set<int64_t> seen;
    for (int64_t s = 0; s < steps; ++s) {
      for (int r = 0; r < world; ++r) {
        for (int64_t index : orders[r].indicesForStep(s, rowsForRank(r, world, b))) {
          ASSERT_TRUE(seen.insert(index).second) << "index " << index << " served twice, world " << world;
          ASSERT_GE(index, 0);
          ASSERT_LT(index, n);
        }
      }
    }
    EXPECT_EQ(int64_t(seen.size()), steps * b * world);  // all but the remainder n mod B
  }
}

TEST(SampleOrder, RanksTogetherServeTheSingleProcessBatch) {
  // 3 ranks x 8 rows are exactly the 24 rows one process takes for the same step.
  GlobalSampleOrder single(500, 24, 5);
  for (int64_t step : {0, 5, 20, 21, 44}) {
    auto whole = single.indicesForStep(step, {0, 24});
    std::vector<int64_t> joined;
    for (int r = 0; r < 3; ++r) {
      GlobalSampleOrder mine(500, 24, 5);
      auto part = mine.indicesForStep(step, rowsForRank(r, 3, 8));
      joined.insert(joined.end(), part.begin(), part.end());
    }
    EXPECT_EQ(joined, whole) << "step " << step;
  }
}

TEST(SampleOrder, EpochsReshuffle) {
  GlobalSampleOrder order(100, 10, 1);
  EXPECT_EQ(order.epochOfStep(9), 0);
  EXPECT_EQ(order.epochOfStep(10), 1);
  EXPECT_NE(order.indicesForStep(0, {0, 10}), order.indicesForStep(10, {0, 10}));
}

TEST(SampleOrder, RejectsDataSmallerThanABatch) {
  const auto error = gan::test_support::errorMessageOf([&] { GlobalSampleOrder(10, 64, 1); });
  EXPECT_NE(error.find("fewer than one global batch of 64"), std::string::npos) << error;
}

}  // namespace
