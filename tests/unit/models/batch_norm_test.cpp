// Batch norm: the synchronised form (our own forward and backward) against torch's batch norm
// and autograd on one rank, where both must describe the same function.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "common/error.h"
#include "models/batch_norm.h"
#include "support/identical_replicas_communicator.h"

namespace {
using gan::models::BatchNorm;
using gan::models::BatchNormPolicy;

void expectSameFunction(std::vector<int64_t> shape) {
  gan::comm::LocalCommunicator alone;
  BatchNorm local(shape[1], BatchNormPolicy::Local, nullptr);
  BatchNorm sync(shape[1], BatchNormPolicy::Sync, &alone);
  local->to(torch::kFloat64);
  sync->to(torch::kFloat64);
  torch::NoGradGuard init;
  for (auto* module : {&local, &sync}) {
    (*module)->named_parameters()["weight"].copy_(torch::linspace(0.5, 2.0, shape[1]));
    (*module)->named_parameters()["bias"].copy_(torch::linspace(-1.0, 1.0, shape[1]));
  }
  torch::manual_seed(3);
  auto x = (torch::randn(shape, torch::kFloat64) * 3 + 5);
  auto upstream = torch::randn(shape, torch::kFloat64);
  auto run = [&](BatchNorm& module) {
    torch::AutoGradMode grad(true);
    auto input = x.clone().requires_grad_(true);
    auto y = module->forward(input);
    (y * upstream).sum().backward();
    return std::vector<torch::Tensor>{y.detach(), input.grad(), module->named_parameters()["weight"].grad(),
                                      module->named_parameters()["bias"].grad()};
  };
  const auto a = run(local), b = run(sync);
  for (size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(torch::allclose(a[i], b[i], 1e-9, 1e-9)) << "output " << i;
  // Normalised per channel: (y - bias) / weight has mean 0 and variance 1 in each channel.
  std::vector<int64_t> channel_shape(shape.size(), 1);
  channel_shape[1] = shape[1];
  auto normalised = (b[0] - torch::linspace(-1.0, 1.0, shape[1], torch::kFloat64).view(channel_shape)) /
                    torch::linspace(0.5, 2.0, shape[1], torch::kFloat64).view(channel_shape);
  auto per_channel = normalised.transpose(0, 1).reshape({shape[1], -1});
  EXPECT_LT(per_channel.mean(1).abs().max().item<double>(), 1e-6);  // weights were set in float32
  EXPECT_LT((per_channel.var(1, /*unbiased=*/false) - 1).abs().max().item<double>(), 1e-3);
}

TEST(BatchNorm, SyncOnOneRankEqualsTorchBatchNormFor2dActivations) { expectSameFunction({6, 3, 5, 4}); }

TEST(BatchNorm, SyncOnOneRankEqualsTorchBatchNormForFeatureRows) { expectSameFunction({10, 7}); }

TEST(BatchNorm, SyncReducesInTrainingAndNeverWhenSampling) {
  // Two identical replicas: the global statistics are each replica's own.
  gan::test_support::IdenticalReplicasCommunicator two_replicas(2);
  BatchNorm sync(4, BatchNormPolicy::Sync, &two_replicas);
  BatchNorm local(4, BatchNormPolicy::Local, nullptr);
  auto x = torch::randn({5, 4}).requires_grad_(true);
  auto y = sync->forward(x);
  EXPECT_EQ(two_replicas.calls.size(), 2u);  // the mean, then the centred second moment
  EXPECT_TRUE(torch::allclose(y, local->forward(x), 1e-5, 1e-5));
  y.sum().backward();
  EXPECT_EQ(two_replicas.calls.size(), 3u);  // the two gradient sums, in one reduction
  // Sampling (eval mode) normalises locally: a rank can generate without its peers.
  sync->eval();
  torch::NoGradGuard no_grad;
  sync->forward(x);
  EXPECT_EQ(two_replicas.calls.size(), 3u);
}

TEST(BatchNorm, PoliciesParseByNameAndUnknownOnesAreRefused) {
  EXPECT_EQ(gan::parseOptionValue<BatchNormPolicy>("sync", "--model.batchnorm"), BatchNormPolicy::Sync);
  EXPECT_THROW(gan::parseOptionValue<BatchNormPolicy>("group", "--model.batchnorm"), gan::Error);
}

}  // namespace
