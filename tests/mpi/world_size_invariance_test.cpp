// World-size invariance: N ranks x b per rank follow the same trajectory as 1 process x N*b.
// Each run trains N ranks, then rank 0 replays the same steps alone with the whole global
// batch and compares the losses of every step and every parameter at the end.
//
// Two precisions, two claims. In float64 the runs differ only by summation order, and they
// agree to 1e-9 after 50 steps: the algorithmic guarantee (same samples, same noise, same
// mean). In float32 the first steps agree within 1e-4, but GAN training with Adam can
// amplify rounding over tens of steps: Adam turns a gradient element whose true value is near
// zero (cancellation, computed as +-1e-9) into an update of a sizeable fraction of the learning
// rate, so float32 runs may part slowly, as any two float32 runs with different summation
// orders do. The README reports how far.
#include <gtest/gtest.h>

#include "comm/local_communicator.h"
#include "coordinator/step_inputs.h"
#include "mpi/test_world.h"
#include "train/gan_trainer.h"

namespace {
using namespace gan;

constexpr uint64_t kSeed = 1234;

// Real Fashion-MNIST: the invariance is asserted on the data the product trains on.
const data::ImageDataset& fashionMnist() {
  static const auto dataset = data::ImageDataset::loadMnistFormat(data::defaultDataDirectory("fashion_mnist"));
  return dataset;
}

struct Trajectory {
  std::vector<double> loss_d, loss_g;  // global means per step
  torch::Tensor g_values, d_values;
};

Trajectory train(comm::Communicator& communicator, int64_t per_rank, int64_t steps, int64_t bucket_bytes,
                 torch::Dtype dtype) {
  const auto& dataset = fashionMnist();
  ModelConfig model;                                // the reference MLP
  torch::manual_seed(kSeed + communicator.rank());  // different per rank: the broadcast must fix it
  auto networks = models::buildGanNetworks(model, 784);
  networks.generator->to(dtype);
  networks.discriminator->to(dtype);
  train::TrainerOptions options;
  options.bucket_bytes = bucket_bytes;
  train::GanTrainer trainer(networks, communicator, options);
  trainer.broadcastParameters();
  const int world = communicator.worldSize();
  data::GlobalSampleOrder order(dataset.size(), per_rank * world, kSeed);
  const auto rows = data::rowsForRank(communicator.rank(), world, per_rank);
  Trajectory trajectory;
  for (int64_t step = 0; step < steps; ++step) {
    const auto in = coordinator::stepInputs(dataset, order, rows, kSeed, step, model.latent_dim, torch::kCPU);
    const auto out = trainer.step(in.real.to(dtype), in.z.to(dtype));
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

void expectInvariance(int64_t per_rank, int64_t steps, torch::Dtype dtype, double tolerance) {
  auto& world = test_support::world();
  // Small buckets: several reductions per backward, launched from the hooks.
  const auto distributed = train(world, per_rank, steps, 64 * 1024, dtype);
  if (world.rank() != 0) return;
  comm::LocalCommunicator alone;
  const auto single = train(alone, per_rank * world.worldSize(), steps, 25 << 20, dtype);
  for (int64_t s = 0; s < steps; ++s) {
    ASSERT_NEAR(distributed.loss_d[s], single.loss_d[s], tolerance * std::abs(single.loss_d[s])) << "loss_d, step " << s;
    ASSERT_NEAR(distributed.loss_g[s], single.loss_g[s], tolerance * std::abs(single.loss_g[s])) << "loss_g, step " << s;
  }
  EXPECT_LT(relativeDifference(distributed.g_values, single.g_values), tolerance);
  EXPECT_LT(relativeDifference(distributed.d_values, single.d_values), tolerance);
  // The trajectory did move: the comparison is not between two untrained models.
  EXPECT_NE(single.loss_d.front(), single.loss_d.back());
}

TEST(WorldSizeInvariance, Float64FiftyStepsAgreeToRounding) { expectInvariance(8, 50, torch::kFloat64, 1e-9); }

TEST(WorldSizeInvariance, Float32TenStepsAgreeWithinTolerance) { expectInvariance(64, 10, torch::kFloat32, 1e-4); }

TEST(WorldSizeInvariance, BucketSizeChangesAtMostRounding) {
  auto& world = test_support::world();
  const auto small = train(world, 8, 20, 16 * 1024, torch::kFloat32);
  const auto large = train(world, 8, 20, 64 << 20, torch::kFloat32);
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
