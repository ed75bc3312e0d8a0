// The NCCL backend and GPU training, under mpirun with one rank per GPU (registered at 1 and 2
// ranks). Without enough CUDA devices (or with a LibTorch built without CUDA, as Debian's) every
// test skips and says why.
//
// One GPU cannot host two NCCL ranks (NCCL refuses a duplicate GPU), and a one-rank collective is
// the identity, so on a single GPU the tests that can fail compare against the CPU: a CUDA
// training step equals the CPU step, and a GPU run's checkpoint loads without CUDA. The test of
// collectives on rank-dependent values needs 2 GPUs and skips below that.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "comm/backend_factory.h"
#include "comm/local_communicator.h"
#include "common/config.h"
#include "checkpoint/checkpoint.h"
#include "support/test_files.h"
#include "train/gan_trainer.h"
#include "train/replica_check.h"

namespace {
using namespace gan;
namespace fs = std::filesystem;

int ranksOnThisNode() {
  const char* local_size = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  return local_size != nullptr ? std::atoi(local_size) : 1;
}

// Why these tests cannot run here, or empty when they can.
std::string whyNoGpu() {
  if (!comm::ncclBackendCompiled()) return "this build has no NCCL backend (CUDA/NCCL not found at configure time)";
  if (!torch::cuda::is_available()) return "no CUDA device visible to LibTorch (CPU-only LibTorch or no GPU)";
  const int gpus = static_cast<int>(torch::cuda::device_count());
  if (ranksOnThisNode() > gpus) {
    return std::to_string(ranksOnThisNode()) + " ranks on this node but " + std::to_string(gpus) +
           " GPU(s): NCCL needs one GPU per rank";
  }
  return "";
}

comm::Communicator& ncclWorld() {
  static auto communicator = comm::createCommunicator(comm::BackendChoice::Nccl, /*tensors_on_gpu=*/true);
  return *communicator;
}

torch::Device myGpu() { return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(ncclWorld().localRank())); }

#define SKIP_WITHOUT_GPU()                                      \
  do {                                                          \
    const std::string reason = whyNoGpu();                      \
    if (!reason.empty()) GTEST_SKIP() << "skipping: " << reason; \
  } while (0)

comm::BufferView deviceView(const torch::Tensor& t, comm::ScalarType type) {
  return {t.data_ptr(), size_t(t.numel()), type, comm::MemorySpace::Cuda};
}

TEST(Nccl, CollectivesOnRankDependentValues) {
  SKIP_WITHOUT_GPU();
  auto& world = ncclWorld();
  const int n = world.worldSize(), r = world.rank();
  if (n < 2) GTEST_SKIP() << "skipping: needs 2+ ranks on 2+ GPUs (one rank's collective is the identity)";
  const auto on_gpu = torch::TensorOptions().device(myGpu());

  // Made by a kernel still in flight on LibTorch's stream: the reduction must wait for it.
  auto values = torch::arange(1 << 20, on_gpu.dtype(torch::kFloat32)).remainder(7).mul_(float(r + 1));
  world.allreduce(deviceView(values, comm::ScalarType::Float32), {comm::ReduceOp::Average});
  const auto expected = torch::arange(1 << 20, on_gpu.dtype(torch::kFloat32)).remainder(7) * (float(n + 1) / 2.0f);
  EXPECT_TRUE(torch::allclose(values, expected));

  auto counters = torch::tensor({int64_t(r), -int64_t(r), int64_t(r) << 40}, on_gpu.dtype(torch::kInt64));
  world.allreduce(deviceView(counters, comm::ScalarType::Int64), {comm::ReduceOp::Max});
  EXPECT_TRUE(torch::equal(counters.cpu(), torch::tensor({int64_t(n - 1), int64_t(0), int64_t(n - 1) << 40})));

  for (int root = 0; root < n; ++root) {
    auto payload = torch::full({4096}, double(r * 10 + 1), on_gpu.dtype(torch::kFloat64));
    world.broadcast(deviceView(payload, comm::ScalarType::Float64), root);
    EXPECT_TRUE(torch::equal(payload.cpu(), torch::full({4096}, double(root * 10 + 1), torch::kFloat64)));
  }
}

// The same networks trained side by side: on the CPU as one process, and on this rank's GPU in
// the NCCL world, from the same rows at every step.
struct SideBySide {
  comm::LocalCommunicator alone;
  train::GanTrainer cpu;
  train::GanTrainer gpu;

  SideBySide(const models::GanNetworks& on_cpu, const models::GanNetworks& on_gpu)
      : cpu(on_cpu, alone, train::TrainerOptions{}), gpu(movedToGpu(on_gpu), ncclWorld(), train::TrainerOptions{}) {
    gpu.broadcastState();
  }

  // Step `step` of both on the same rows (drawn from a seed of the step): {CPU, GPU}.
  std::pair<train::StepOutputs, train::StepOutputs> step(int step, int64_t rows, int64_t latent_dim) {
    torch::manual_seed(100 + step);
    const auto real = torch::rand({rows, 784}) * 2 - 1;
    const auto z = torch::randn({rows, latent_dim});
    auto on_cpu = cpu.step(real, z);
    return {std::move(on_cpu), gpu.step(real.to(myGpu()), z.to(myGpu()))};
  }

  static const models::GanNetworks& movedToGpu(const models::GanNetworks& networks) {
    networks.generator->to(myGpu());
    networks.discriminator->to(myGpu());
    return networks;
  }
};

// Every rank trains on the same rows, so the averaged gradients equal one process's gradients:
// the GPU run must match a CPU run step by step (losses and the averaged gradients themselves,
// which Adam's scale invariance would hide in the weights).
TEST(Nccl, CudaTrainingStepsEqualCpuSteps) {
  SKIP_WITHOUT_GPU();
  auto& world = ncclWorld();
  ModelConfig model;
  model.latent_dim = 16;
  model.hidden_dim = 64;
  auto build = [&] {
    torch::manual_seed(7);
    return models::buildGanNetworks(model, 784);
  };
  SideBySide both(build(), build());
  auto& cpu = both.cpu;
  auto& gpu = both.gpu;
  for (int step = 0; step < 4; ++step) {
    const auto [on_cpu, on_gpu] = both.step(step, 32, 16);
    EXPECT_NEAR(on_gpu.loss_d.item<double>(), on_cpu.loss_d.item<double>(), 1e-4) << "step " << step;
    EXPECT_NEAR(on_gpu.loss_g.item<double>(), on_cpu.loss_g.item<double>(), 1e-4) << "step " << step;
    for (size_t i = 0; i < 2; ++i) {
      const auto gpu_grads = gpu.networkStates()[i]->parameters().grads().cpu();
      const auto cpu_grads = cpu.networkStates()[i]->parameters().grads();
      EXPECT_TRUE(torch::allclose(gpu_grads, cpu_grads, 1e-3, 1e-6))
          << gpu.networkStates()[i]->name() << " gradients differ at step " << step << ": max difference "
          << (gpu_grads - cpu_grads).abs().max().item<double>();
    }
  }
  EXPECT_NO_THROW(train::verifyReplicasAgree(gpu, world, 4));
}

// --train.precision=bf16 on CUDA runs every layer but the logit in bf16, as bf16-all does on the
// CPU: the same step from the same weights must agree within bf16's rounding (8 significant bits;
// the two devices' bf16 kernels accumulate in different orders), and the parameters, gradients
// and losses stay fp32 on the GPU too.
TEST(Nccl, CudaBf16StepIsCloseToTheCpuBf16Step) {
  SKIP_WITHOUT_GPU();
  ModelConfig model;
  auto build = [&](TrainPrecision precision, torch::DeviceType device) {
    models::NetworkInputs inputs;
    inputs.sample_shape = {784};
    inputs.precision = {precision, device};
    torch::manual_seed(7);
    return models::buildGanNetworks(model, inputs);
  };
  auto cpu_networks = build(TrainPrecision::Bf16All, torch::kCPU);
  auto gpu_networks = build(TrainPrecision::Bf16, torch::kCUDA);
  ASSERT_EQ(models::describePrecision(gpu_networks.generator->layerPrecisions(),
                                      gpu_networks.discriminator->layerPrecisions()),
            models::describePrecision(cpu_networks.generator->layerPrecisions(),
                                      cpu_networks.discriminator->layerPrecisions()));
  SideBySide both(cpu_networks, gpu_networks);
  auto& cpu = both.cpu;
  auto& gpu = both.gpu;
  for (int step = 0; step < 3; ++step) {
    const auto [on_cpu, on_gpu] = both.step(step, 64, 100);
    EXPECT_EQ(on_gpu.loss_d.scalar_type(), torch::kFloat32);
    EXPECT_NEAR(on_gpu.loss_d.item<double>(), on_cpu.loss_d.item<double>(), 2e-2 * on_cpu.loss_d.abs().item<double>())
        << "step " << step;
    EXPECT_NEAR(on_gpu.loss_g.item<double>(), on_cpu.loss_g.item<double>(), 2e-2 * on_cpu.loss_g.abs().item<double>())
        << "step " << step;
    for (size_t i = 0; i < 2; ++i) {
      const auto gpu_grads = gpu.networkStates()[i]->parameters().grads().cpu();
      const auto cpu_grads = cpu.networkStates()[i]->parameters().grads();
      EXPECT_EQ(gpu.networkStates()[i]->parameters().values().scalar_type(), torch::kFloat32);
      const double relative = ((gpu_grads - cpu_grads).norm() / cpu_grads.norm()).item<double>();
      EXPECT_LT(relative, 5e-2) << gpu.networkStates()[i]->name() << " gradients at step " << step;
    }
  }
}

// A LibTorch archive records each tensor's device: a checkpoint written from GPU tensors would
// move the parameters of a CPU module it is loaded into onto the GPU (or fail without CUDA).
TEST(Nccl, CheckpointOfAGpuRunLoadsAsCpuTensors) {
  SKIP_WITHOUT_GPU();
  auto& world = ncclWorld();
  Config config;
  config.model.latent_dim = 16;
  config.model.hidden_dim = 32;
  config.train.ema_halflife_k = 1;
  torch::manual_seed(9);
  auto networks = models::buildGanNetworks(config.model, 784);
  networks.generator->to(myGpu());
  networks.discriminator->to(myGpu());
  train::GanTrainer trainer(networks, world, train::TrainerOptions::fromConfig(config));
  trainer.step(torch::rand({8, 784}, myGpu()), torch::randn({8, 16}, myGpu()));

  const RunDirectory out(test_support::freshTempDir("gpu_checkpoint_rank" + std::to_string(world.rank())));
  const auto dir = checkpoint::writeCheckpoint(out, {1, world.worldSize(), 8, 10, 42, {28, 28}}, trainer, config);
  for (const auto& [file, is_generator] : {std::pair{"model_G.pt", true}, {"model_D.pt", false}, {"ema_G.pt", true}}) {
    torch::manual_seed(1);
    auto fresh = models::buildGanNetworks(config.model, 784);
    torch::nn::Module& module = is_generator ? static_cast<torch::nn::Module&>(*fresh.generator)
                                             : static_cast<torch::nn::Module&>(*fresh.discriminator);
    torch::serialize::InputArchive archive;
    archive.load_from((fs::path(dir) / file).string());
    module.load(archive);
    for (const auto& parameter : module.parameters()) EXPECT_TRUE(parameter.device().is_cpu()) << file;
  }
}

}  // namespace
