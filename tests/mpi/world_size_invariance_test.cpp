// World-size invariance: N ranks x b per rank follow the same trajectory as 1 process x N*b.
// Each run trains N ranks for 50 steps, then rank 0 replays the same steps alone with the whole
// global batch and compares losses and every parameter (relative 1e-4).
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "coordinator/step_inputs.h"
#include "mpi/test_world.h"
#include "train/gan_trainer.h"

namespace {
using namespace gan;

constexpr int64_t kSteps = 50;
constexpr int64_t kPerRank = 8;
constexpr uint64_t kSeed = 1234;

// Real Fashion-MNIST: the invariance is asserted on the data the product trains on.
data::ImageDataset fashionMnist() {
  return data::ImageDataset::loadMnistFormat(data::defaultDataDirectory("fashion_mnist"));
}

struct Trajectory {
  std::vector<double> loss_d, loss_g;  // global means per step
  torch::Tensor g_values, d_values;
};

Trajectory train(comm::Communicator& communicator, const data::ImageDataset& dataset, int64_t per_rank,
                 int64_t bucket_bytes) {
  ModelConfig model;  // the reference MLP
  torch::manual_seed(kSeed + communicator.rank());  // different per rank: the broadcast must fix it
  train::TrainerOptions options;
  options.bucket_bytes = bucket_bytes;
  train::GanTrainer trainer(models::buildGanNetworks(model, 784), communicator, options);
  trainer.broadcastParameters();
  const int world = communicator.worldSize();
  data::GlobalSampleOrder order(dataset.size(), per_rank * world, kSeed);
  const auto rows = data::rowsForRank(communicator.rank(), world, per_rank);
  Trajectory trajectory;
  for (int64_t step = 0; step < kSteps; ++step) {
    const auto in = coordinator::stepInputs(dataset, order, rows, kSeed, step, model.latent_dim, torch::kCPU);
    const auto out = trainer.step(in.real, in.z);
    double losses[2] = {out.loss_d.item<double>(), out.loss_g.item<double>()};
    communicator.allreduce({losses, 2, comm::ScalarType::Float64, comm::MemorySpace::Host});
    trajectory.loss_d.push_back(losses[0] / world);
    trajectory.loss_g.push_back(losses[1] / world);
  }
  trajectory.g_values = trainer.generatorParameters().values().clone();
  trajectory.d_values = trainer.discriminatorParameters().values().clone();
  return trajectory;
}

double relativeDifference(const torch::Tensor& a, const torch::Tensor& b) {
  return ((a - b).norm() / b.norm()).item<double>();
}

void expectSameTrajectory(const Trajectory& distributed, const Trajectory& single) {
  for (int64_t s = 0; s < kSteps; ++s) {
    ASSERT_NEAR(distributed.loss_d[s], single.loss_d[s], 1e-4 * std::abs(single.loss_d[s])) << "loss_d, step " << s;
    ASSERT_NEAR(distributed.loss_g[s], single.loss_g[s], 1e-4 * std::abs(single.loss_g[s])) << "loss_g, step " << s;
  }
  EXPECT_LT(relativeDifference(distributed.g_values, single.g_values), 1e-4);
  EXPECT_LT(relativeDifference(distributed.d_values, single.d_values), 1e-4);
}

TEST(WorldSizeInvariance, RanksTimesBatchEqualsOneProcessWithTheGlobalBatch) {
  auto& world = test_support::world();
  const auto dataset = fashionMnist();
  // Small buckets: several reductions per backward, launched from the hooks.
  const auto distributed = train(world, dataset, kPerRank, 64 * 1024);
  if (world.rank() == 0) {
    comm::LocalCommunicator alone;
    const auto single = train(alone, dataset, kPerRank * world.worldSize(), 25 << 20);
    expectSameTrajectory(distributed, single);
    // The trajectory did move: the comparison is not between two untrained models.
    EXPECT_NE(single.loss_d.front(), single.loss_d.back());
  }
}

TEST(WorldSizeInvariance, BucketSizeChangesAtMostRounding) {
  auto& world = test_support::world();
  const auto dataset = fashionMnist();
  const auto small = train(world, dataset, kPerRank, 16 * 1024);
  const auto large = train(world, dataset, kPerRank, 64 << 20);
  // MPI picks its allreduce algorithm by message size, so with 3 ranks the order of the
  // per-element sums (and only that) can change with the bucket boundaries.
  EXPECT_LT(relativeDifference(small.g_values, large.g_values), 1e-5);
  EXPECT_LT(relativeDifference(small.d_values, large.d_values), 1e-5);
  if (world.worldSize() <= 2) {  // one addition per element: no order to change
    EXPECT_TRUE(torch::equal(small.g_values, large.g_values));
    EXPECT_TRUE(torch::equal(small.d_values, large.d_values));
  }
}

}  // namespace
