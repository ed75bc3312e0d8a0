// The NCCL backend and GPU training, under mpirun with one rank per GPU. Without a CUDA device
// (or with a LibTorch built without CUDA, as Debian's) every test skips and says why.
#include <gtest/gtest.h>

#include "comm/communicator.h"
#include "train/gan_trainer.h"
#include "train/replica_check.h"

namespace {
using namespace gan;

// Why these tests cannot run here, or empty when they can.
std::string whyNoGpu() {
  if (!comm::ncclBackendCompiled()) return "this build has no NCCL backend (CUDA/NCCL not found at configure time)";
  if (!torch::cuda::is_available()) return "no CUDA device visible to LibTorch (CPU-only LibTorch or no GPU)";
  return "";
}

comm::Communicator& ncclWorld() {
  static auto communicator = comm::createCommunicator(comm::BackendChoice::Nccl, /*tensors_on_gpu=*/true);
  return *communicator;
}

#define SKIP_WITHOUT_GPU()                                      \
  do {                                                          \
    const std::string reason = whyNoGpu();                      \
    if (!reason.empty()) GTEST_SKIP() << "skipping: " << reason; \
  } while (0)

TEST(Nccl, AllreduceAverageOnTheDevice) {
  SKIP_WITHOUT_GPU();
  auto& world = ncclWorld();
  const int n = world.worldSize(), r = world.rank();
  const torch::Device device(torch::kCUDA, world.localRank());
  auto values = torch::full({1 << 20}, float(r + 1), torch::TensorOptions().device(device));
  world.allreduce({values.data_ptr(), size_t(values.numel()), comm::ScalarType::Float32, comm::MemorySpace::Cuda},
                  {comm::ReduceOp::Average});
  torch::cuda::synchronize();
  EXPECT_FLOAT_EQ(values[12345].item<float>(), float(n + 1) / 2.0f);
}

TEST(Nccl, TrainingStepsOnTheGpuKeepReplicasIdentical) {
  SKIP_WITHOUT_GPU();
  auto& world = ncclWorld();
  const torch::Device device(torch::kCUDA, world.localRank());
  torch::manual_seed(5 + world.rank());
  auto networks = models::buildGanNetworks(ModelConfig{}, 784);
  networks.generator->to(device);
  networks.discriminator->to(device);
  train::GanTrainer trainer(networks, world, train::TrainerOptions{});
  trainer.broadcastState();
  for (int step = 0; step < 5; ++step) {
    torch::manual_seed(100 * step + world.rank());  // each rank its own data, as in training
    auto out = trainer.step(torch::rand({64, 784}, device) * 2 - 1, torch::randn({64, 100}, device));
    EXPECT_TRUE(std::isfinite(out.loss_d.item<double>()));
  }
  EXPECT_NO_THROW(train::verifyReplicasAgree(trainer, world, 5));
}

}  // namespace
