// FlatParameters and GradientBuckets: views alias the flat storage, buckets partition it in
// reverse layer order, reductions start during backward, and the result is the mean gradient.
#include <gtest/gtest.h>

#include "common/error.h"
#include "parallel/gradient_buckets.h"
#include "support/error_message.h"
#include "support/identical_replicas_communicator.h"

namespace {
using gan::test_support::IdenticalReplicasCommunicator;
using gan::parallel::FlatParameters;
using gan::parallel::GradientBuckets;

torch::nn::Sequential threeLayers() {
  return torch::nn::Sequential(torch::nn::Linear(20, 30), torch::nn::ReLU(), torch::nn::Linear(30, 40),
                               torch::nn::ReLU(), torch::nn::Linear(40, 10));
}

TEST(FlatParameters, ParametersAndGradsAreViewsInReverseOrder) {
  torch::manual_seed(3);
  auto model = threeLayers();
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.detach().clone());
  FlatParameters flat(*model);

  ASSERT_EQ(flat.slots().size(), 6u);
  EXPECT_EQ(flat.slots().front().name, "4.bias");  // last registered first
  EXPECT_EQ(flat.slots().back().name, "0.weight");
  auto params = model->parameters();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], before[i]));  // values kept
  flat.values().fill_(0.5);
  for (const auto& p : model->parameters()) EXPECT_TRUE(torch::all(p == 0.5).item<bool>());
  model->forward(torch::randn({3, 20})).sum().backward();
  EXPECT_GT(flat.grads().abs().sum().item<float>(), 0);
  for (const auto& slot : flat.slots()) {
    EXPECT_EQ(slot.parameter.grad().data_ptr<float>(), flat.grads().data_ptr<float>() + slot.offset);
  }
}

TEST(GradientBuckets, PartitionFollowsBucketSize) {
  auto model = threeLayers();
  FlatParameters flat(*model);
  IdenticalReplicasCommunicator comm(2);
  // 10*40+10 = 410 floats in the last layer: a 1 KiB bucket closes after it.
  GradientBuckets buckets("net", flat, comm, 1024);
  const auto ranges = buckets.bucketRanges();
  ASSERT_GE(ranges.size(), 3u);
  int64_t next = 0;
  for (const auto& [offset, numel] : ranges) {
    EXPECT_EQ(offset, next);
    next += numel;
  }
  EXPECT_EQ(next, flat.numel());
  EXPECT_EQ(ranges.front().second, 10 + 400);  // layer 4 (bias + weight) is the first bucket
  GradientBuckets one("net", flat, comm, 1 << 30);
  EXPECT_EQ(one.bucketCount(), 1u);
}

TEST(GradientBuckets, ReductionsStartDuringBackwardInOrderAndAverage) {
  torch::manual_seed(4);
  auto model = threeLayers();
  auto reference = threeLayers();
  {
    torch::NoGradGuard no_grad;
    auto src = model->parameters(), dst = reference->parameters();
    for (size_t i = 0; i < src.size(); ++i) dst[i].copy_(src[i]);
  }
  FlatParameters flat(*model);
  IdenticalReplicasCommunicator comm(3);
  GradientBuckets buckets("net", flat, comm, 1024);
  auto x = torch::randn({8, 20});

  buckets.beginBackward();
  model->forward(x).pow(2).mean().backward();
  // Every bucket was launched by the hooks, before finishAndAverage, in index order.
  ASSERT_EQ(comm.calls.size(), buckets.bucketCount());
  const auto ranges = buckets.bucketRanges();
  for (size_t i = 0; i < ranges.size(); ++i) {
    EXPECT_EQ(comm.calls[i].data, flat.grads().data_ptr<float>() + ranges[i].first);
    EXPECT_EQ(comm.calls[i].count, size_t(ranges[i].second));
    EXPECT_EQ(comm.calls[i].op, gan::comm::ReduceOp::Average);
  }
  buckets.finishAndAverage();

  reference->forward(x).pow(2).mean().backward();
  auto expected = reference->parameters(), actual = model->parameters();
  for (size_t i = 0; i < expected.size(); ++i) {
    // Sum of 3 identical replicas, divided by 3: the local gradient again.
    EXPECT_TRUE(torch::allclose(actual[i].grad(), expected[i].grad(), 1e-6, 1e-7)) << i;
  }
  const auto stats = buckets.takeStats();
  EXPECT_EQ(stats.collectives, int64_t(buckets.bucketCount()));
  EXPECT_EQ(stats.bytes, flat.numel() * 4);
}

TEST(GradientBuckets, UnusedParametersStillReduceAndGradsAreZeroedEachStep) {
  auto model = threeLayers();
  FlatParameters flat(*model);
  IdenticalReplicasCommunicator comm(2);
  GradientBuckets buckets("net", flat, comm, 1024);
  flat.grads().fill_(7);  // stale values from an earlier step
  buckets.beginBackward();
  buckets.finishAndAverage();  // no backward at all
  EXPECT_EQ(comm.calls.size(), buckets.bucketCount());
  EXPECT_EQ(flat.grads().abs().sum().item<float>(), 0);
}

TEST(GradientBuckets, TwoBackwardsInOneStepAreRefused) {
  auto model = threeLayers();
  FlatParameters flat(*model);
  IdenticalReplicasCommunicator comm(1);
  GradientBuckets buckets("net", flat, comm, 1 << 20);
  buckets.beginBackward();
  model->forward(torch::randn({2, 20})).sum().backward();
  const auto error = gan::test_support::errorMessageOf([&] { model->forward(torch::randn({2, 20})).sum().backward(); });
  EXPECT_NE(error.find("received its gradient twice"), std::string::npos) << error;
}

}  // namespace
